import { ImError } from '../../packages/protocol';

/** Who is asking, for the `{userid}` and `{joined}` parts of a pattern. */
export interface RightsSubject {
  userid: string;
  /** True when the userid was signed (strong sign); `{userid}` patterns only grant then. */
  userBound: boolean;
  /** Rooms the connection joined, for `{joined}`. */
  joined: readonly string[];
}

/**
 * Glob match over code points: `*` any run, `?` one character, everything else literal.
 * The two-pointer walk with one remembered star is O(pattern × room) at worst, never
 * exponential the way a backtracking regular expression can be on `a*a*a*…b`.
 */
function globMatch(pattern: readonly string[], text: readonly string[]): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === text[t]))) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * True when `room` matches one of the patterns: exact ids, globs (`*`, `?`), `{userid}` and
 * `{joined}` (see server/config/security.ts). Room ids never hold `*`, `?`, `{` or `}`, so a pattern
 * cannot be smuggled in through a room id or a userid (the userid is matched literally).
 */
export function roomAllowed(patterns: readonly string[], room: string, who: RightsSubject): boolean {
  const text = [...room];
  for (const pattern of patterns) {
    if (pattern === '*') return true;
    if (pattern === '{joined}') {
      if (who.joined.includes(room)) return true;
      continue;
    }
    let glob = pattern;
    if (pattern.includes('{userid}')) {
      // Room ids never hold `*` or `?`, so a userid with them can match no room literally.
      if (!who.userBound || who.userid === '' || /[*?]/.test(who.userid)) continue;
      glob = pattern.split('{userid}').join(who.userid);
    }
    if (!glob.includes('*') && !glob.includes('?') ? glob === room : globMatch([...glob], text)) return true;
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
