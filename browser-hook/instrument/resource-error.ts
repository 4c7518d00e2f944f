import type { Recorder } from './types';

/**
 * Failed loads of images, scripts, stylesheets and media. Their `error` events do not bubble,
 * so only a capturing listener on window sees them.
 */
export function instrumentResourceErrors(win: Window, record: Recorder): () => void {
  const listener = (event: Event) => {
    const el = event.target as Partial<HTMLImageElement & HTMLLinkElement & HTMLMediaElement> | null;
    if (!el || (el as unknown) === win || typeof el.tagName !== 'string') return;
    try {
      const url = el.currentSrc || el.src || el.href || '';
      const tag = el.tagName.toLowerCase();
      record({
        level: 'error',
        method: 'resource',
        args: [`Failed to load <${tag}> ${url}`, el],
      });
    } catch {
      /* never fail the page's event dispatch */
    }
  };
  win.addEventListener('error', listener, true);
  return () => win.removeEventListener('error', listener, true);
}
