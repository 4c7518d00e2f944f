import { z } from 'zod';

/**
 * Which signs a source accepts: `legacy` (the contract's md5 only), `strong` (HMAC-SHA256 with
 * ts and nonce only) or `both` (the default, so every page and back end of the contract works).
 */
export const SIGNING_MODES = ['legacy', 'strong', 'both'] as const;
export type SigningMode = (typeof SIGNING_MODES)[number];

const signingModeSchema = z.enum(SIGNING_MODES);

/** `"both"`, or one mode for socket connections and one for `/api/notify`. */
export const signingSchema = z
  .union([signingModeSchema, z.object({ connect: signingModeSchema, notify: signingModeSchema }).strict()])
  .default('both');

/**
 * A room pattern: an exact room id, or a glob where `*` is any run of characters and `?` one
 * character. `{userid}` stands for the connection's userid (only for strongly signed connections,
 * whose userid is signed); `{joined}` (alone, in `post`) means the rooms the connection joined.
 */
export const ROOM_PATTERN = /^(?:\{joined\}|(?:[\p{L}\p{N}_\-.:@#/+=~*?]|\{userid\})+)$/u;

const roomPatternSchema = z
  .string()
  .max(256)
  .regex(ROOM_PATTERN, 'a room pattern holds room-id characters, "*", "?", "{userid}", or is exactly "{joined}"');

/** Read and write rights of signed clients, per source. */
export const rightsSchema = z
  .object({
    /** Rooms a signed connection may join, i.e. read. */
    join: z.array(roomPatternSchema).default(['*']),
    /** Rooms a connected client may post to (postMsg, postLogs). */
    post: z.array(roomPatternSchema).default(['*']),
  })
  .strict()
  .default({ join: ['*'], post: ['*'] });

/** The security keys of one source (merged into the source schema in server/config/index.ts). */
export const sourceSecurityShape = {
  signing: signingSchema,
  rights: rightsSchema,
  /** Origins whose pages may open a socket connection for this source; ["*"] allows any. */
  connectOrigins: z.array(z.string()).default(['*']),
  /** Messages per second this source may publish (notify + posts); overrides rateLimits.perSource. */
  maxMessagesPerSecond: z.number().int().nonnegative().optional(),
};

/** The connection caps' defaults: on, so one address or one source cannot fill an instance. */
export const CONNECTION_CAP_DEFAULTS = { perIp: 256, hookPerIp: 8, hookPerSource: 256 } as const;

/** The security limits (merged into `limits` in server/config/index.ts). 0 turns a cap off. */
export const securityLimitsShape = {
  /** Open socket connections from one client IP (signed and unsigned), per instance. */
  maxConnectionsPerIp: z.number().int().nonnegative().default(CONNECTION_CAP_DEFAULTS.perIp),
  /** Open unsigned hook connections (`role=publisher`) from one client IP, per instance. */
  maxHookConnectionsPerIp: z.number().int().nonnegative().default(CONNECTION_CAP_DEFAULTS.hookPerIp),
  /** Open unsigned hook connections of one source, from all addresses, per instance. */
  maxHookConnectionsPerSource: z.number().int().nonnegative().default(CONNECTION_CAP_DEFAULTS.hookPerSource),
  /** Open socket connections of one user (source + userid), per instance. */
  maxConnectionsPerUser: z.number().int().nonnegative().default(0),
  /** Strong-sign nonces remembered at once by one instance without Redis (replay protection). */
  maxNonces: z.number().int().positive().default(500_000),
};

/** Message rates, each in messages per second (0 = off), counted over windows of `windowSeconds`. */
export const rateLimitsSchema = z
  .object({
    /** Length of one counting window; a limit allows `rate × windowSeconds` messages per window. */
    windowSeconds: z.number().int().positive().max(3600).default(1),
    /** Socket events per second one connection may send (postMsg, postLogs, history, …). */
    perConnection: z.number().int().nonnegative().default(100),
    /** Messages per second one client IP may send (notify requests and socket posts). */
    perIp: z.number().int().nonnegative().default(0),
    /** Messages per second one source may publish, cluster-wide with Redis (notify and socket posts). */
    perSource: z.number().int().nonnegative().default(0),
  })
  .strict()
  .default({ windowSeconds: 1, perConnection: 100, perIp: 0, perSource: 0 });

/** helmet on HTML pages; /js keeps Cross-Origin-Resource-Policy cross-origin. */
export const securityHeadersSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Directives replacing the defaults (server/security/headers.ts), or false for no CSP. */
    contentSecurityPolicy: z.union([z.literal(false), z.record(z.string(), z.array(z.string()))]).optional(),
    /** Strict-Transport-Security max-age in seconds; 0 (default) sends none (set it when served over HTTPS only). */
    hstsMaxAge: z.number().int().nonnegative().default(0),
  })
  .strict()
  .default({ enabled: true, hstsMaxAge: 0 });

export type RateLimitsConfig = z.infer<typeof rateLimitsSchema>;
export type SecurityHeadersConfig = z.infer<typeof securityHeadersSchema>;
export type RightsConfig = z.infer<typeof rightsSchema>;
export type SigningConfig = z.infer<typeof signingSchema>;

/** The mode a source uses for one kind of request. */
export function signingModeFor(signing: SigningConfig, kind: 'connect' | 'notify'): SigningMode {
  return typeof signing === 'string' ? signing : signing[kind];
}
