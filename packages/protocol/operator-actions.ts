/**
 * Every operator action the server knows: the one list that the server's routes take their
 * action names from, that `im-debug sign --action` and `im-debug open` sign for, and that the
 * tests walk (each action, each route, a sign from the CLI). A new signed route adds its entry
 * here; one with a new name is then signable and tested without further edits.
 *
 * An operator sign is `hex(HMAC-SHA256(sign_key, action + "\n" + source + "\n" + subject + "\n" + ts))`
 * (packages/signing/operator.ts); `Authorization: Bearer <adminKey>` opens every action instead.
 */

export interface OperatorRoute {
  method: 'GET' | 'POST';
  path: string;
  /** Names the original node-socket-im used (kept for its callers) rather than the /api one. */
  legacy?: boolean;
  /** Answers with server-sent events (a stream that stays open) instead of one JSON body. */
  stream?: boolean;
}

export interface OperatorActionSpec {
  /** The action as signed (first line of the signed text). */
  name: string;
  /** What a sign for it allows, for help texts. */
  allows: string;
  /** What the subject (third line of the signed text) is, for help texts. */
  subject: string;
  /** A subject to show in examples (and to use in tests). */
  exampleSubject: string;
  /** The request parameters that carry the subject, exactly as the route reads them. */
  subjectParams(subject: string): Record<string, string>;
  /** Every route that checks this action's sign; the first is the one to use. */
  routes: readonly OperatorRoute[];
}

const roomSubject = (subject: string): Record<string, string> => ({ room_id: subject });

/** The subject of an action that has none: it is signed as ''. */
const NO_SUBJECT = { subject: "'' (always empty)", exampleSubject: '', subjectParams: (): Record<string, string> => ({}) };

/** An /api route that takes its parameters both ways: the query (GET, first) or a body (POST). */
const getOrPost = (path: string): readonly OperatorRoute[] => [
  { method: 'GET', path },
  { method: 'POST', path },
];

/** Keyed by action name; `name` repeats the key so a route can say `OPERATOR_ACTIONS.refresh.name`. */
export const OPERATOR_ACTIONS = {
  refresh: {
    name: 'refresh',
    allows: "make every page in the room(s) reload (sends refreshPage)",
    subject: 'room_id as sent (comma-separated rooms)',
    exampleSubject: 'lobby',
    subjectParams: roomSubject,
    routes: [
      { method: 'POST', path: '/api/refresh' },
      { method: 'GET', path: '/api/refresh' },
      { method: 'GET', path: '/refreshpage', legacy: true },
    ],
  },
  logs: {
    name: 'logs',
    allows: "read one of the source's own NDJSON message logs (filename feature)",
    subject: 'date/filename, e.g. 2026-11-26/orders.log (empty filename: msg.log)',
    exampleSubject: '2026-11-26/orders.log',
    subjectParams(subject: string) {
      const cut = subject.indexOf('/');
      return cut < 0 ? { date: subject, filename: '' } : { date: subject.slice(0, cut), filename: subject.slice(cut + 1) };
    },
    routes: [
      { method: 'GET', path: '/api/logs' },
      { method: 'GET', path: '/readmsg', legacy: true },
    ],
  },
  history: {
    name: 'history',
    allows: "read a room's recent messages",
    subject: 'room_id (one room)',
    exampleSubject: 'lobby',
    subjectParams: roomSubject,
    routes: [{ method: 'GET', path: '/api/history' }],
  },
  online: {
    name: 'online',
    allows: 'list who is online in the source (or one room), cluster-wide',
    subject: "room_id as sent ('' for all rooms)",
    exampleSubject: '',
    subjectParams: roomSubject,
    routes: [...getOrPost('/api/online'), { method: 'GET', path: '/online', legacy: true }],
  },
  today: {
    name: 'today',
    allows: 'list the users seen on one UTC day',
    subject: "date YYYY-MM-DD as sent ('' for today)",
    exampleSubject: '',
    subjectParams: (subject: string) => ({ date: subject }),
    routes: [...getOrPost('/api/today'), { method: 'GET', path: '/today', legacy: true }],
  },
  pageviews: {
    name: 'pageviews',
    allows: "read one user's recent page views",
    subject: 'userid',
    exampleSubject: '1305',
    subjectParams: (subject: string) => ({ userid: subject }),
    routes: getOrPost('/api/pageviews'),
  },
  monitor: {
    name: 'monitor',
    allows: 'watch the live presence stream (the /monitor page)',
    ...NO_SUBJECT,
    routes: [
      { method: 'GET', path: '/api/presence/stream', stream: true },
      // The recent connects and disconnects the stream carried (server/http/legacy-routes.ts).
      { method: 'GET', path: '/clientlog', legacy: true },
    ],
  },
  counts: {
    name: 'counts',
    allows: "read the source's live connections per instance and this instance's message count",
    ...NO_SUBJECT,
    routes: [
      { method: 'GET', path: '/api/counts' },
      { method: 'GET', path: '/read_connections', legacy: true },
      { method: 'GET', path: '/sessionlocation', legacy: true },
      { method: 'GET', path: '/readmsglocation', legacy: true },
    ],
  },
} as const satisfies Record<string, OperatorActionSpec>;

export type OperatorActionName = keyof typeof OPERATOR_ACTIONS;

/** The action names, in the list's order. */
export const OPERATOR_ACTION_NAMES = Object.keys(OPERATOR_ACTIONS) as OperatorActionName[];

export function isOperatorAction(name: string): name is OperatorActionName {
  return Object.hasOwn(OPERATOR_ACTIONS, name);
}

/**
 * Headers that carry an operator sign, so that it never sits in a URL (proxies and access logs
 * keep URLs). The query's `ts` and `sign` are still accepted for older callers.
 */
export const OPERATOR_SIGN_HEADER = 'x-im-sign';
export const OPERATOR_TS_HEADER = 'x-im-ts';

/**
 * Query and form parameters whose values are secrets or single-use parts of a sign: logs write
 * them as `[redacted]`. `ts` is not secret, but with the sign it makes a replayable pair.
 */
export const SECRET_PARAMS = ['sign', 'ts', 'nonce', 'admin_key', 'adminkey', 'sign_key', 'signkey', 'token'] as const;
