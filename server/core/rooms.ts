/**
 * The Socket.IO room of a source's room. Source names never contain ':', so `ab`+`c` and
 * `a`+`bc` can never meet (the original concatenated them with no separator).
 */
export function roomKey(source: string, room: string): string {
  return `${source}:${room}`;
}

export function splitRoomKey(key: string): { source: string; room: string } | undefined {
  const i = key.indexOf(':');
  if (i <= 0) return undefined;
  return { source: key.slice(0, i), room: key.slice(i + 1) };
}
