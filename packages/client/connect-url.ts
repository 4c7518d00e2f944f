/** The connect URL's parts the client adds or reads: its `im_client` id and its `room_ids`. */

/**
 * A random id for this client, kept across its reconnects (`im_client` in the query): the
 * server tells a client it cut as a slow consumer why, on its next handshake. Not a secret.
 */
export function newClientId(): string {
  const bytes = new Uint8Array(12);
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** `url` with `im_client=<id>` added to its query (the URL's own `im_client` wins). */
export function withClientId(url: string, id: string): string {
  if (/[?&]im_client=/.test(url)) return url;
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const sep = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${sep}im_client=${id}${hash >= 0 ? url.slice(hash) : ''}`;
}

/** The room ids in a connect URL's `room_ids`, so rooms with no message yet can still catch up. */
export function roomsOfUrl(url: string): string[] {
  try {
    const base = typeof location !== 'undefined' ? location.href : 'http://localhost/';
    const raw = new URL(url, base).searchParams.get('room_ids') ?? '';
    return raw
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
  } catch {
    return [];
  }
}
