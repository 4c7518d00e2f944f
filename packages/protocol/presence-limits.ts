/**
 * Size limits of the presence and tracking payloads. Kept free of zod so the browser SDK can
 * import them (to clip before sending) without pulling the schema library into its bundle.
 */
export const TRACKING_LIMITS = {
  /** Longest page URL or referrer, in characters. */
  maxUrlLength: 2048,
  /** Longest page title, in characters. */
  maxTitleLength: 512,
  /** Longest user agent, in characters. */
  maxUserAgentLength: 512,
  /** Longest language tag or time-zone name, in characters. */
  maxTagLength: 64,
  /** Preferred languages kept. */
  maxLanguages: 10,
  /** Largest screen or viewport dimension accepted, in CSS pixels. */
  maxDimension: 100_000,
} as const;
