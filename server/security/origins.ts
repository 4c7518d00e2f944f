/** A browser origin allowed by a source's list (`*` allows every origin); used by HTTP CORS and the socket handshake alike. */
export function originAllowed(allowed: readonly string[], origin: string): boolean {
  return allowed.includes('*') || allowed.includes(origin);
}
