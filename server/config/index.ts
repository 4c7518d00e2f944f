import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_LIMITS, SOURCE_NAME_PATTERN } from '../../packages/protocol';
import { presenceSchema, sourcePresenceSchema } from './presence';
import {
  rateLimitsSchema,
  securityHeadersSchema,
  securityLimitsShape,
  sourceSecurityShape,
} from './security';
import { adapterSchema, messageLogSchema, recoverySchema } from './adapter';
import { isLegacyConfigPath, readLegacyConfig, type LegacyConfig } from './legacy';

/** The keys of the original's development configuration; the seed's examples hard-code them. */
export const DEMO_SOURCES = {
  demo: { signKey: 'try4dfs%#fs!#$2334ds(%B)' },
  remote_debug: { signKey: '5iwdf$%sdfss!#$2334ds(%B)' },
} as const;

const HISTORY_DEFAULTS = { size: 200, maxAgeSeconds: 3600, maxRoomBytes: 4 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 };

const OUTPUT_BUDGET_DEFAULTS = { perConnection: 4 * 1024 * 1024, total: 64 * 1024 * 1024 };

const sourceSchema = z
  .object({
    /** The source's secret; signs are computed with it. */
    signKey: z.string().min(8, 'signKey must be at least 8 characters'),
    /** Origins allowed to call /api/notify from a browser; ["*"] allows any (the seed's jQuery demo). */
    corsOrigins: z.array(z.string()).default(['*']),
    /** May clients post (postMsg) to rooms of this source? */
    clientPost: z.boolean().default(true),
    /**
     * Unsigned, publish-only connections for the remote-debug hook (`role=publisher` in the
     * query). They may only send log entries to these rooms, never join or read a room.
     * Empty (the default): every connection needs the source's sign.
     */
    hook: z
      .object({
        rooms: z.array(z.string().min(1)).default([]),
        /** Entries per second one hook connection may send (a burst of the same size is allowed). */
        maxEntriesPerSecond: z.number().int().positive().default(200),
        /** Largest single entry, in bytes. */
        maxEntryBytes: z.number().int().positive().default(32 * 1024),
      })
      .strict()
      .default({ rooms: [], maxEntriesPerSecond: 200, maxEntryBytes: 32 * 1024 }),
    /** Opt-in join/leave messages to a room of this source (see server/config/presence.ts). */
    presence: sourcePresenceSchema.optional(),
    /**
     * Messages back ends PUBLISH to the Redis channel `xin_common_chat` (with
     * `legacyRedisChannel`) need the notify sign; false lets them in unsigned, as the original's
     * `publish_msg_verify: false` did (server/legacy/legacy-channel.ts).
     */
    publishMsgVerify: z.boolean().default(true),
    /** signing, rights, connectOrigins, maxMessagesPerSecond (server/config/security.ts). */
    ...sourceSecurityShape,
  })
  .strict();

const limitsSchema = z
  .object({
    maxMessageBytes: z.number().int().positive().default(DEFAULT_LIMITS.maxMessageBytes),
    maxBodyBytes: z.number().int().positive().default(DEFAULT_LIMITS.maxBodyBytes),
    maxRoomsPerMessage: z.number().int().positive().default(DEFAULT_LIMITS.maxRoomsPerMessage),
    maxRoomsPerConnection: z.number().int().positive().default(DEFAULT_LIMITS.maxRoomsPerConnection),
    maxRoomIdLength: z.number().int().positive().default(DEFAULT_LIMITS.maxRoomIdLength),
    maxFilenameLength: z.number().int().positive().max(200).default(DEFAULT_LIMITS.maxFilenameLength),
    maxExtInfoLength: z.number().int().positive().default(DEFAULT_LIMITS.maxExtInfoLength),
    maxBatchMessages: z.number().int().positive().default(DEFAULT_LIMITS.maxBatchMessages),
    maxBatchBodyBytes: z.number().int().positive().default(DEFAULT_LIMITS.maxBatchBodyBytes),
    /**
     * Output budgets (server/socket/output-budget.ts): bytes queued to one connection (Engine.IO
     * buffer + WebSocket/TCP buffer) and to all of them together. Past one, the connection's
     * transport is closed and it is told SLOW_CONSUMER when it comes back. 0 turns a budget off.
     */
    maxQueuedBytesPerConnection: z.number().int().nonnegative().default(OUTPUT_BUDGET_DEFAULTS.perConnection),
    maxQueuedBytes: z.number().int().nonnegative().default(OUTPUT_BUDGET_DEFAULTS.total),
    /** Most bytes of messages in one history answer (socket and HTTP); past it the answer carries `next`. */
    maxHistoryAnswerBytes: z.number().int().min(1024).default(1024 * 1024),
    ...securityLimitsShape,
  })
  .strict();

export const configSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(4000),
    host: z.string().default('0.0.0.0'),
    /** Folder of the `filename` message logs. */
    logDir: z.string().default('./logs'),
    /** pino level: fatal, error, warn, info, debug, trace, silent. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    sources: z
      .record(z.string().regex(SOURCE_NAME_PATTERN, 'source names may hold only letters, digits, "_", "-" and "."'), sourceSchema)
      .refine((s) => Object.keys(s).length > 0, 'at least one source must be configured'),
    /** Key for cluster-wide operator read-outs (Authorization: Bearer <adminKey>). */
    adminKey: z.string().min(16, 'adminKey must be at least 16 characters').optional(),
    limits: limitsSchema.default(limitsSchema.parse({})),
    adapter: adapterSchema.default({ type: 'memory' }),
    /** No longer used (Socket.IO connection state recovery is off); still parsed, with a warning. */
    recovery: recoverySchema,
    /** Where `filename` message logs are kept: files or Redis (server/config/adapter.ts). */
    messageLog: messageLogSchema,
    /** Room history: the last `size` messages per room, none older than `maxAgeSeconds`. size 0 turns it off. */
    history: z
      .object({
        size: z.number().int().min(0).max(100_000).default(200),
        maxAgeSeconds: z.number().int().positive().default(3600),
        /** Approximate bytes of history per room (both stores; 0 = no bound): past it the room's oldest go. */
        maxRoomBytes: z.number().int().nonnegative().default(HISTORY_DEFAULTS.maxRoomBytes),
        /** Approximate bytes of history across all rooms of this instance (memory store; 0 = no bound). */
        maxBytes: z.number().int().nonnegative().default(HISTORY_DEFAULTS.maxBytes),
      })
      .strict()
      .default(HISTORY_DEFAULTS),
    /** Messages per second per connection, IP and source (server/config/security.ts). */
    rateLimits: rateLimitsSchema,
    /** helmet headers on pages (server/security/headers.ts). */
    securityHeaders: securityHeadersSchema,
    /** Online users, browser info, page views: heartbeat, expiry and retention. */
    presence: presenceSchema,
    /** How long a graceful shutdown may take before connections are cut, in ms. */
    shutdownTimeoutMs: z.number().int().positive().default(10_000),
    /** Accept operator and strong signs whose ts is at most this far from now, in seconds. */
    signatureWindowSeconds: z.number().int().positive().default(300),
    /** Set when the embedded demo configuration is in use. */
    demo: z.boolean().default(false),
    /**
     * Take the messages back ends PUBLISH to the Redis channel `xin_common_chat`, as the
     * original did (needs the Redis adapter; server/legacy/legacy-channel.ts).
     */
    legacyRedisChannel: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, issue) => {
    if (c.legacyRedisChannel && c.adapter.type !== 'redis') {
      issue.addIssue({ code: 'custom', path: ['legacyRedisChannel'], message: 'the xin_common_chat channel needs the Redis adapter (adapter.type "redis" / REDIS_URL)' });
    }
  });

export type ServerConfig = z.infer<typeof configSchema>;
export type ServerConfigInput = z.input<typeof configSchema>;
export type SourceConfig = ServerConfig['sources'][string];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a config object; the error names every wrong key with its path. */
export function parseConfig(input: unknown, origin = 'configuration'): ServerConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const key = i.path.length ? i.path.join('.') : '(root)';
    const unknown = i.code === 'unrecognized_keys' ? ` (${i.keys.join(', ')})` : '';
    return `  - ${key}: ${i.message}${unknown}`;
  });
  throw new ConfigError(`invalid ${origin}:\n${lines.join('\n')}`);
}

export function demoConfigInput(): ServerConfigInput {
  return {
    demo: true,
    sources: {
      demo: { signKey: DEMO_SOURCES.demo.signKey },
      remote_debug: { signKey: DEMO_SOURCES.remote_debug.signKey, hook: { rooms: ['console-log'] } },
    },
  };
}

export interface LoadOptions {
  /**
   * Path of a JSON config file (`--config`); falls back to env IM_CONFIG. A `.js`/`.cjs` file
   * or a folder is the original's format (server/config/legacy.ts).
   */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Receives what loading has to tell the operator (the original format's mapping), to log once a logger exists. */
  notice?: (message: string, level: 'info' | 'warn') => void;
}

/**
 * Reads the configuration: the file (or the embedded demo when there is none and we are not in
 * production), then the environment overrides operators set per deployment.
 */
export function loadConfig({ file, env = process.env, notice }: LoadOptions = {}): ServerConfig {
  const configFile = file ?? env.IM_CONFIG;
  let input: Record<string, unknown>;
  let origin: string;
  if (configFile && isLegacyConfigPath(configFile)) {
    let legacy: LegacyConfig;
    try {
      legacy = readLegacyConfig(configFile, env, Object.values(DEMO_SOURCES).map((s) => s.signKey));
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
    input = legacy.input;
    origin = `original configuration ${legacy.file} (after mapping its keys)`;
    notice?.(legacy.summary, legacy.warn ? 'warn' : 'info');
  } else if (configFile) {
    origin = `config file ${path.resolve(configFile)}`;
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${origin}: ${(err as Error).message}`);
    }
    try {
      input = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`${origin} is not valid JSON: ${(err as Error).message}`);
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new ConfigError(`${origin} must hold a JSON object`);
    }
  } else {
    if (env.NODE_ENV === 'production') {
      throw new ConfigError(
        'no configuration: NODE_ENV=production never falls back to the demo keys; pass --config FILE or set IM_CONFIG',
      );
    }
    origin = 'embedded demo configuration';
    input = demoConfigInput() as Record<string, unknown>;
  }
  return parseConfig(applyEnv(input, env), origin);
}

function applyEnv(input: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out = { ...input };
  if (env.PORT !== undefined && env.PORT !== '') {
    const port = Number(env.PORT);
    if (!Number.isInteger(port)) throw new ConfigError(`PORT must be a whole number, got ${JSON.stringify(env.PORT)}`);
    out.port = port;
  }
  if (env.HOST) out.host = env.HOST;
  if (env.LOG_DIR) out.logDir = env.LOG_DIR;
  if (env.LOG_LEVEL) out.logLevel = env.LOG_LEVEL;
  if (env.IM_ADMIN_KEY) out.adminKey = env.IM_ADMIN_KEY;
  if (env.IM_LEGACY_REDIS_CHANNEL === '1' || env.IM_LEGACY_REDIS_CHANNEL === 'true') out.legacyRedisChannel = true;
  if (env.REDIS_URL) out.adapter = { ...(out.adapter as object | undefined), type: 'redis', url: env.REDIS_URL };
  // Only meaningful with Redis; the schema names the key when they are set without it.
  for (const [name, key] of [['REDIS_PREFIX', 'prefix'], ['REDIS_TRANSPORT', 'transport'], ['REDIS_STARTUP', 'onStartup']] as const) {
    if (env[name]) out.adapter = { ...(out.adapter as object | undefined), [key]: env[name] };
  }
  return out;
}
