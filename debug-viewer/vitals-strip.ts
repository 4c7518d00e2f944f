/** The Core Web Vitals strip of the /debug filter bar: the latest LCP, CLS and INP of a session. */
import { el } from './dom';
import type { Row } from './state';

const SHOWN_METRICS = ['LCP', 'CLS', 'INP'];
/** Sessions remembered; the least recently measured go first. */
const MAX_SESSIONS = 200;

export interface VitalsStrip {
  /** New rows: the measurements among them replace their session's earlier ones. */
  record(rows: readonly Row[]): void;
  /** The session filtered for ('' : the most recently measured session). */
  show(session: string): void;
  clear(): void;
}

export function createVitalsStrip(root: HTMLElement): VitalsStrip {
  const vitals = new Map<string, Map<string, Row>>();
  let session = '';
  const draw = () => {
    const shown = session ? [vitals.get(session)] : [...vitals.values()].slice(-1);
    root.replaceChildren();
    for (const [metric, row] of shown[0] ?? []) {
      const p = row.perf!;
      const chip = el('span', `vital r-${p.rating ?? 'none'}`, `${metric} ${metric === 'CLS' ? p.value : `${Math.round(p.value)} ms`}`);
      chip.title = `${String(row.args[0])}\nsession ${row.session}`;
      root.append(chip);
    }
  };
  return {
    record(rows) {
      for (const r of rows) {
        if (r.perf && SHOWN_METRICS.includes(r.perf.metric)) {
          const per = vitals.get(r.session) ?? new Map<string, Row>();
          vitals.delete(r.session); // most recent session last
          vitals.set(r.session, per.set(r.perf.metric, r));
          if (vitals.size > MAX_SESSIONS) vitals.delete(vitals.keys().next().value as string);
        }
      }
      draw();
    },
    show(s) {
      session = s;
      draw();
    },
    clear() {
      vitals.clear();
      draw();
    },
  };
}
