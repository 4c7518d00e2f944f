import type { ClientInfo, NavigationKind, PageView } from '../protocol';
import { TRACKING_LIMITS as L } from '../protocol/presence-limits';

/**
 * Browser info and navigations the SDK reports (`clientInfo`, `pageView`), for the server's
 * presence and page-view read-outs. Browser-only; every access is guarded so a locked-down or
 * unusual page never breaks, and nothing here runs in Node.
 */

const clip = (text: string | undefined, max: number): string | undefined =>
  text === undefined || text === '' ? undefined : text.slice(0, max);

const dimension = (n: number | undefined): number | undefined =>
  typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.min(Math.round(n), L.maxDimension) : undefined;

export function inBrowser(): boolean {
  return typeof window !== 'undefined' && typeof document !== 'undefined' && typeof location !== 'undefined';
}

export function collectClientInfo(): ClientInfo {
  const nav = navigator;
  let timeZone: string | undefined;
  try {
    timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    // Old engines without Intl time zones.
  }
  const width = dimension(screen?.width);
  const height = dimension(screen?.height);
  const vw = dimension(window.innerWidth);
  const vh = dimension(window.innerHeight);
  const ratio = window.devicePixelRatio;
  return {
    url: location.href.slice(0, L.maxUrlLength),
    title: clip(document.title, L.maxTitleLength),
    referrer: clip(document.referrer, L.maxUrlLength),
    language: clip(nav.language, L.maxTagLength),
    languages: nav.languages ? nav.languages.slice(0, L.maxLanguages).map((l) => l.slice(0, L.maxTagLength)) : undefined,
    timeZone: clip(timeZone, L.maxTagLength),
    timezoneOffset: new Date().getTimezoneOffset(),
    screen:
      width !== undefined && height !== undefined
        ? { width, height, pixelRatio: ratio > 0 && ratio <= 32 ? ratio : undefined }
        : undefined,
    viewport: vw !== undefined && vh !== undefined ? { width: vw, height: vh } : undefined,
    userAgent: clip(nav.userAgent, L.maxUserAgentLength),
  };
}

export function currentPageView(nav: NavigationKind): PageView {
  return {
    url: location.href.slice(0, L.maxUrlLength),
    title: clip(document.title, L.maxTitleLength),
    referrer: nav === 'load' ? clip(document.referrer, L.maxUrlLength) : undefined,
    ts: Date.now(),
    nav,
  };
}

type HistoryMethod = typeof history.pushState;

/**
 * Calls `onNavigate` after each single-page-app navigation: history.pushState/replaceState,
 * back/forward (popstate) and hash changes. Returns the function that stops watching. The
 * history methods are wrapped, never replaced: the page's call always goes through first, and
 * if another script wrapped them after us, we leave its wrapper in place and just go quiet.
 */
export function watchNavigations(onNavigate: (nav: NavigationKind) => void): () => void {
  let active = true;
  let lastUrl = location.href;
  const report = (nav: NavigationKind) => {
    if (!active) return;
    try {
      // replaceState to the same URL (scroll restoration, state updates) is not a navigation.
      if (location.href === lastUrl) return;
      lastUrl = location.href;
      onNavigate(nav);
    } catch {
      // Reporting must never break the page's navigation.
    }
  };
  const wrap = (name: 'pushState' | 'replaceState', nav: NavigationKind) => {
    const original: HistoryMethod = history[name];
    const wrapper: HistoryMethod = function (this: History, ...args: Parameters<HistoryMethod>) {
      const result = original.apply(this, args);
      report(nav);
      return result;
    };
    history[name] = wrapper;
    return () => {
      if (history[name] === wrapper) history[name] = original;
    };
  };
  // Chromium fires popstate before hashchange for a hash change: name it by what changed.
  const withoutHash = (url: string) => url.split('#')[0];
  const onPop = () => report(withoutHash(location.href) === withoutHash(lastUrl) ? 'hash' : 'pop');
  const onHash = () => report('hash');
  const restore = [wrap('pushState', 'push'), wrap('replaceState', 'replace')];
  window.addEventListener('popstate', onPop);
  window.addEventListener('hashchange', onHash);
  return () => {
    active = false;
    restore.forEach((fn) => fn());
    window.removeEventListener('popstate', onPop);
    window.removeEventListener('hashchange', onHash);
  };
}
