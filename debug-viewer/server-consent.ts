/**
 * The question /debug asks before it connects to a server other than its own origin (a
 * `#server=…` link, or a typed address): the sign, given in the link or typed next, is sent to
 * whichever server it connects to, so the user sees that origin and clicks to go there.
 */
import type { RoomHandlers } from './connection';
import { $, el } from './dom';

/** The origin of a server address, or undefined when it is not an http(s) URL. */
export function serverOrigin(server: string): string | undefined {
  try {
    const url = new URL(server, location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns `ask(server, then)`: runs `then` at once for an approved origin (this page's own, and
 * those the user confirmed here; never stored), otherwise shows the origin and runs it on the
 * user's click. `onDeclined` runs when the user stays on this server.
 */
export function createServerConsent(setStatus: RoomHandlers['onStatus'], onDeclined: () => void): (server: string, then?: () => void) => void {
  const approvedOrigins = new Set<string>([location.origin]);
  return (server, then) => {
    const origin = serverOrigin(server);
    const box = $<HTMLElement>('foreign');
    if (origin === undefined) {
      setStatus('error', `not a server address: ${server}`);
      return;
    }
    if (approvedOrigins.has(origin)) {
      box.hidden = true;
      then?.();
      return;
    }
    const text = $<HTMLElement>('foreign-text');
    text.replaceChildren(
      'This page would send your sign to another server: ',
      el('strong', '', origin),
      ` (this page is ${location.origin}). Connect only if you trust it.`,
    );
    const yes = $<HTMLButtonElement>('foreign-yes');
    yes.textContent = `Connect to ${origin}`;
    yes.onclick = () => {
      approvedOrigins.add(origin);
      box.hidden = true;
      if (then) then();
      else setStatus('connecting', `not connected yet: enter the sign for ${origin} and press Connect`);
    };
    $<HTMLButtonElement>('foreign-no').onclick = () => {
      box.hidden = true;
      onDeclined();
      setStatus('error', `not connected: ${origin} was not confirmed`);
    };
    box.hidden = false;
    setStatus('connecting', `waiting for you to confirm ${origin}`);
  };
}
