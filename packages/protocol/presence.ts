import { z } from 'zod';
import { TRACKING_LIMITS as L } from './presence-limits';

const dimension = z.number().int().nonnegative().max(L.maxDimension);
const url = z.string().max(L.maxUrlLength);
const title = z.string().max(L.maxTitleLength);
const tag = z.string().max(L.maxTagLength);

/**
 * What the SDK reports about its browser once connected (`clientInfo`). Unknown keys are
 * dropped, so a newer SDK can talk to an older server; every string has a hard cap.
 */
export const clientInfoSchema = z.object({
  url,
  title: title.optional(),
  referrer: url.optional(),
  language: tag.optional(),
  languages: z.array(tag).max(L.maxLanguages).optional(),
  /** IANA name, e.g. `Asia/Shanghai`. */
  timeZone: tag.optional(),
  /** Minutes behind UTC, as `Date#getTimezoneOffset()` gives it. */
  timezoneOffset: z.number().int().min(-1440).max(1440).optional(),
  screen: z
    .object({ width: dimension, height: dimension, pixelRatio: z.number().positive().max(32).optional() })
    .optional(),
  viewport: z.object({ width: dimension, height: dimension }).optional(),
  userAgent: z.string().max(L.maxUserAgentLength).optional(),
});
export type ClientInfo = z.infer<typeof clientInfoSchema>;

/** How the page got to its URL: first load, history.pushState/replaceState, back/forward, hash change. */
export const NAVIGATION_KINDS = ['load', 'push', 'replace', 'pop', 'hash'] as const;
export type NavigationKind = (typeof NAVIGATION_KINDS)[number];

/** One navigation the SDK reports (`pageView`), single-page-app ones included. */
export const pageViewSchema = z.object({
  url: url.min(1),
  title: title.optional(),
  referrer: url.optional(),
  /** The browser's clock, ms since the epoch (informative; the server stamps its own `at`). */
  ts: z.number().nonnegative().optional(),
  nav: z.enum(NAVIGATION_KINDS).optional(),
});
export type PageView = z.infer<typeof pageViewSchema>;

/** A page view as the server keeps it: `at` is the server's time. */
export interface PageViewRecord extends PageView {
  at: number;
  userid: string;
}

/** The page a connection shows right now. */
export interface CurrentPage {
  url: string;
  title?: string;
  /** Server time of the navigation. */
  at: number;
}

/** One live connection as the presence store keeps it. */
export interface PresenceConnection {
  /** Socket.IO id of the connection. */
  sid: string;
  /** The server instance holding it. */
  instance: string;
  source: string;
  userid: string;
  username: string;
  ext_info: string;
  rooms: string[];
  /** Server time it connected, ms since the epoch. */
  since: number;
  page?: CurrentPage;
  client?: ClientInfo;
}

/** An online user: every live connection of one userid in a source, cluster-wide. */
export interface OnlineUser {
  userid: string;
  username: string;
  ext_info: string;
  /** When the user's oldest live connection was opened. */
  since: number;
  /** Live connections (tabs, devices) of the user. */
  connections: number;
  /** Rooms any of those connections joined. */
  rooms: string[];
  /** The most recent page any of those connections reported. */
  page?: CurrentPage;
  /** Browser info of the most recently reporting connection. */
  client?: ClientInfo;
}

/** A user seen on a day (`/api/today`). */
export interface SeenUser {
  userid: string;
  username: string;
  first_seen: number;
  last_seen: number;
  /** Connections opened that day. */
  connections: number;
}

/** The payload of the opt-in join/leave messages published to a source's presence room. */
export interface PresenceSignal {
  key: 'user_join' | 'user_leave';
  userid: string;
  username: string;
  ts: number;
}

/**
 * What the live monitor receives (and instances pass each other): a change to one source's
 * presence. Connection-level, so a viewer can keep its own picture exactly.
 */
export type PresenceEvent =
  | { type: 'connect'; source: string; connection: PresenceConnection }
  | { type: 'update'; source: string; connection: PresenceConnection }
  | { type: 'disconnect'; source: string; sid: string; userid: string; instance: string; at: number }
  | { type: 'pageview'; source: string; view: PageViewRecord; sid: string }
  | { type: 'join' | 'leave'; source: string; userid: string; username: string; at: number }
  /** An instance stopped heartbeating: every connection it held is gone. */
  | { type: 'instance_down'; source: string; instance: string; at: number };
