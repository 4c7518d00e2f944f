/**
 * The console view of /debug: the stored rows that pass the filter, appended in batches however
 * fast they arrive. It follows the end until the user scrolls up; then new rows are counted on
 * the resume button.
 */
import type { Message } from '../packages/protocol';
import type { Matcher, Row, RowStore } from './state';

export interface ConsoleViewOptions {
  list: HTMLElement;
  resume: HTMLButtonElement;
  store: RowStore;
  render(row: Row): HTMLElement;
  matcher(): Matcher;
  /** Before each batch is drawn: the rows the store let go of, and the new ones. */
  onBatch(evicted: readonly Row[], added: readonly Row[]): void;
  /** After rows were drawn or removed (for the counts). */
  onDrawn(): void;
}

export interface ConsoleView {
  /** Messages in stream order: stored now, drawn with the next batch. */
  add(messages: Message[]): void;
  /** Draws every stored row that passes the filter again, and follows the end. */
  redraw(): void;
  /** Forgets the rows not drawn yet (Clear). */
  dropPending(): void;
  /** The drawn row of this id, if it passes the filter. */
  node(id: number): HTMLElement | undefined;
  /** Rows drawn. */
  readonly shown: number;
  /** The view is visible again: back to the end when following. */
  shownAgain(): void;
}

/** How long new rows gather before they are drawn. */
const BATCH_MS = 30;

export function createConsoleView(o: ConsoleViewOptions): ConsoleView {
  const { list, resume, store } = o;
  const rowNodes = new Map<number, HTMLElement>();
  let following = true;
  let waiting = 0;
  let pending: Row[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;

  const atBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  const scrollToEnd = () => {
    list.scrollTop = list.scrollHeight;
  };
  const updateResume = () => {
    resume.hidden = following || waiting === 0;
    resume.textContent = `↓ ${waiting} new entr${waiting === 1 ? 'y' : 'ies'}`;
  };
  const draw = (row: Row, into: DocumentFragment) => {
    const node = o.render(row);
    rowNodes.set(row.id, node);
    into.append(node);
  };

  /**
   * Appends new rows in batches. A timer rather than requestAnimationFrame: a background tab has
   * no frames, and rows must not pile up there.
   */
  function flushPending(): void {
    flushTimer = undefined;
    const evicted = store.takeEvicted();
    o.onBatch(evicted, pending);
    for (const gone of evicted) {
      rowNodes.get(gone.id)?.remove();
      rowNodes.delete(gone.id);
    }
    const oldest = store.rows[0]?.id ?? Infinity;
    const matcher = o.matcher();
    const frag = document.createDocumentFragment();
    let added = 0;
    for (const row of pending) {
      // Rows that arrived and were already pushed out by newer ones are never drawn.
      if (row.id < oldest || !matcher.ok || !matcher.test(row)) continue;
      draw(row, frag);
      added++;
    }
    pending = [];
    list.append(frag);
    if (following) scrollToEnd();
    else waiting += added;
    updateResume();
    o.onDrawn();
  }

  list.addEventListener('scroll', () => {
    const bottom = atBottom();
    if (bottom && !following) {
      following = true;
      waiting = 0;
    } else if (!bottom && following) following = false;
    updateResume();
  });
  resume.addEventListener('click', () => {
    following = true;
    waiting = 0;
    scrollToEnd();
    updateResume();
  });

  return {
    add(messages) {
      for (const m of messages) {
        const row = store.add(m);
        if (row) pending.push(row);
      }
      if (pending.length && flushTimer === undefined) flushTimer = setTimeout(flushPending, BATCH_MS);
    },
    redraw() {
      rowNodes.clear();
      list.replaceChildren();
      const frag = document.createDocumentFragment();
      const matcher = o.matcher();
      if (matcher.ok) for (const row of store.rows) if (matcher.test(row)) draw(row, frag);
      list.append(frag);
      following = true;
      waiting = 0;
      scrollToEnd();
      updateResume();
      o.onDrawn();
    },
    dropPending() {
      pending = [];
    },
    node: (id) => rowNodes.get(id),
    get shown() {
      return rowNodes.size;
    },
    shownAgain() {
      if (following) scrollToEnd();
    },
  };
}
