/**
 * The filter bar of /debug: level toggles with their counts, text (or a regular expression),
 * session and network rows. It keeps the Filter they make and its compiled matcher.
 */
import { LOG_LEVELS, type LogLevel } from '../packages/protocol';
import { $, el } from './dom';
import { compileFilter, type Filter, type Matcher, type RowStore } from './state';

export interface FilterBar {
  readonly filter: Readonly<Filter>;
  readonly matcher: Matcher;
  /** Entries shown of the stored ones, per level and per session (new sessions join the select). */
  showCounts(shown: number, store: RowStore): void;
}

/** `onChange` runs after every change of the filter (the matcher is new by then). */
export function createFilterBar(onChange: () => void): FilterBar {
  const textInput = $<HTMLInputElement>('text');
  const regexBox = $<HTMLInputElement>('regex');
  const sessionSelect = $<HTMLSelectElement>('session');
  const networkRows = $<HTMLSelectElement>('network-rows');
  const countEl = $<HTMLElement>('count');
  const filter: Filter = { levels: new Set(LOG_LEVELS), text: '', regex: false, session: '', network: 'show' };
  let matcher = compileFilter(filter);

  function applyFilter(): void {
    filter.text = textInput.value;
    filter.regex = regexBox.checked;
    filter.session = sessionSelect.value;
    filter.network = networkRows.value as Filter['network'];
    matcher = compileFilter(filter);
    textInput.classList.toggle('invalid', !matcher.ok);
    textInput.title = matcher.ok ? '' : `invalid regular expression: ${matcher.error}`;
    onChange();
  }

  // Level toggles, built from the one list of levels.
  const levelsEl = $('levels');
  for (const level of LOG_LEVELS) {
    const label = el('label');
    const box = el('input');
    box.type = 'checkbox';
    box.checked = true;
    box.dataset.level = level;
    box.addEventListener('change', () => {
      const levels = new Set(filter.levels);
      if (box.checked) levels.add(level);
      else levels.delete(level);
      filter.levels = levels as ReadonlySet<LogLevel>;
      applyFilter();
    });
    const n = el('span', 'n', '0');
    n.dataset.n = level;
    label.append(box, ` ${level} `, n);
    levelsEl.append(label);
  }
  textInput.addEventListener('input', applyFilter);
  regexBox.addEventListener('change', applyFilter);
  sessionSelect.addEventListener('change', applyFilter);
  networkRows.addEventListener('change', applyFilter);

  return {
    filter,
    get matcher() {
      return matcher;
    },
    showCounts(shown, store) {
      const total = store.rows.length;
      countEl.textContent = shown === total ? `${total} entries` : `${shown} of ${total} entries`;
      const counts: Record<string, number> = {};
      for (const r of store.rows) counts[r.level] = (counts[r.level] ?? 0) + 1;
      for (const level of LOG_LEVELS) {
        const n = document.querySelector(`#levels [data-n="${level}"]`);
        if (n) n.textContent = String(counts[level] ?? 0);
      }
      const known = new Set(Array.from(sessionSelect.options, (o) => o.value));
      for (const [session, n] of store.sessions) {
        if (!known.has(session)) {
          const opt = el('option');
          opt.value = session;
          opt.textContent = session;
          sessionSelect.append(opt);
        }
        const opt = Array.from(sessionSelect.options).find((o) => o.value === session);
        if (opt) opt.textContent = `${session} (${n})`;
      }
    },
  };
}
