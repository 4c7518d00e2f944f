import { ImError } from '../../packages/protocol';

/** Who is asking, for the `{userid}` and `{joined}` parts of a pattern. */
export interface RightsSubject {
  userid: string;
  /** True when the userid was signed (strong sign); `{userid}` patterns only grant then. */
  userBound: boolean;
  /** Rooms the connection joined, for `{joined}`. */
  joined: readonly string[];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The regular expression body of a glob: `*` any run of characters, `?` one character. */
function globBody(glob: string): string {
  let out = '';
  // Runs of `*` collapse to one, so a pattern like `a****b` cannot make matching slow.
  for (const ch of glob.replace(/\*+/g, '*')) out += ch === '*' ? '[^]*' : ch === '?' ? '[^]' : escapeRegExp(ch);
  return out;
}

/**
 * True when `room` matches one of the patterns: exact ids, globs (`*`, `?`), `{userid}` and
 * `{joined}` (see security-config.ts). Room ids never hold `*`, `?`, `{` or `}`, so a pattern
 * cannot be smuggled in through a room id or a userid (the userid is matched literally).
 */
export function roomAllowed(patterns: readonly string[], room: string, who: RightsSubject): boolean {
  for (const pattern of patterns) {
    if (pattern === '*') return true;
    if (pattern === '{joined}') {
      if (who.joined.includes(room)) return true;
      continue;
    }
    if (pattern.includes('{userid}')) {
      if (!who.userBound || who.userid === '') continue;
      const body = pattern.split('{userid}').map(globBody).join(escapeRegExp(who.userid));
      if (new RegExp(`^${body}$`, 'u').test(room)) return true;
      continue;
    }
    if (!pattern.includes('*') && !pattern.includes('?')) {
      if (pattern === room) return true;
      continue;
    }
    if (new RegExp(`^${globBody(pattern)}$`, 'u').test(room)) return true;
  }
  return false;
}

/** Throws FORBIDDEN naming the first room outside the patterns. */
export function checkRooms(
  patterns: readonly string[],
  rooms: readonly string[],
  who: RightsSubject,
  what: 'join' | 'post to',
  source: string,
): void {
  const refused = rooms.find((room) => !roomAllowed(patterns, room, who));
  if (refused !== undefined) {
    throw new ImError('FORBIDDEN', `this client may not ${what} room ${JSON.stringify(refused)} of source ${source}`);
  }
}
