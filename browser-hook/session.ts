/** The session id viewers show: one per tab, kept in sessionStorage across reloads. */

const SESSION_KEY = 'node-im-remote-debug-session';

function randomId(): string {
  return Date.now().toString(36).slice(-4) + Math.random().toString(36).slice(2, 10);
}

/** Stable for the tab's life (sessionStorage survives reloads, not new tabs). */
export function tabSession(win: Window): string {
  try {
    const kept = win.sessionStorage.getItem(SESSION_KEY);
    if (kept) return kept;
    const id = randomId();
    win.sessionStorage.setItem(SESSION_KEY, id);
    return id;
  } catch {
    // Storage blocked (sandboxed frame, privacy mode): one id per page load.
    return randomId();
  }
}
