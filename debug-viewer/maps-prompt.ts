/**
 * The bar that asks before /debug fetches source maps from an origin: the entry's URLs are
 * untrusted, so scripts and maps come only from origins the user allowed with a click.
 */
import { $ } from './dom';
import type { BrowserSourceMaps } from './source-maps';

/** Returns `ask(origin)`, which shows the bar; `onAllowed` runs after the user allowed one. */
export function createMapsPrompt(sourceMaps: BrowserSourceMaps, onAllowed: () => void): (origin: string) => void {
  const box = $<HTMLElement>('maps-ask');
  let askedOrigin = '';
  $('maps-yes').addEventListener('click', () => {
    box.hidden = true;
    if (askedOrigin) sourceMaps.allow(askedOrigin);
    onAllowed();
  });
  $('maps-no').addEventListener('click', () => {
    box.hidden = true;
  });
  return (origin) => {
    askedOrigin = origin;
    $('maps-text').textContent = `Fetch source maps from ${origin} to show original call sites? Only scripts and maps of that origin are fetched, for this tab.`;
    box.hidden = false;
  };
}
