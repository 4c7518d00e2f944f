import { isIP } from 'node:net';

/** Loopback addresses: the only proxies trusted, as Express is told (`trust proxy: loopback`). */
function isLoopback(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.');
}

function normalize(addr: string): string {
  const a = addr.trim();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/**
 * The client address of a socket the way Express computes req.ip with `trust proxy: loopback`:
 * walk X-Forwarded-For from the right while the hop is a loopback proxy. A client cannot forge
 * its way past a real (non-loopback) hop.
 */
export function clientIp(remote: string | undefined, forwardedFor: string | string[] | undefined): string {
  const hops = [normalize(remote ?? '')];
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  if (header) hops.push(...header.split(',').map(normalize).filter((h) => h !== '').reverse());
  for (const hop of hops) if (!isLoopback(hop)) return hop;
  return hops[hops.length - 1] || 'unknown';
}
