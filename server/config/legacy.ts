import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadCommonJs } from './commonjs';

/**
 * The original node-socket-im's configuration files, read as they are.
 *
 * A file (`--config config/production.js`) is a CommonJS module exporting
 * `{ env, port, redis_config: {host, port}, log_dir, source_list: {name: {sign_key, publish_msg_verify}} }`.
 * A folder (`--config DIR`) is the original's project layout: `config.js` chose
 * `config/development.js`, `config/production.js` or `config/local.js` by NODE_ENV, and
 * `local.js` for anything else or no NODE_ENV; the same choice is made here (config.js itself
 * is not run: it only held that switch).
 *
 * Each key maps onto the new configuration; `env` (informational) is ignored; any other key
 * is an error that names it, so a setting is never silently lost.
 */

export class LegacyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LegacyConfigError';
  }
}

export const LEGACY_KEYS = ['env', 'port', 'redis_config', 'log_dir', 'source_list'] as const;
const LEGACY_REDIS_KEYS = ['host', 'port'] as const;
const LEGACY_SOURCE_KEYS = ['sign_key', 'publish_msg_verify'] as const;

/** The original config.js: development, production, local; local for anything else. */
export function pickLegacyEnvFile(nodeEnv: string | undefined): 'development' | 'production' | 'local' {
  return nodeEnv === 'development' || nodeEnv === 'production' || nodeEnv === 'local' ? nodeEnv : 'local';
}

/** True for what --config should read as the original's format: a folder, or a .js / .cjs file. */
export function isLegacyConfigPath(p: string): boolean {
  if (/\.c?js$/i.test(p)) return true;
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export interface LegacyConfig {
  /** Input for the new configuration schema (environment overrides still apply after). */
  input: Record<string, unknown>;
  /** The file that was read. */
  file: string;
  /** One line for the start-up log: what was read and what each key became. */
  summary: string;
  /** True when the summary is a warning (the contract's public demo keys are in use). */
  warn: boolean;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string, prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new LegacyConfigError(
        `${where}: unknown key "${prefix}${key}" (the original's configuration has ${allowed.map((k) => prefix + k).join(', ')}; ` +
          'anything newer goes in a JSON configuration, see README "Configuration")',
      );
    }
  }
}

function portValue(v: unknown, key: string, where: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new LegacyConfigError(`${where}: ${key} must be a port number (0 to 65535), got ${JSON.stringify(v)}`);
  }
  return n;
}

/**
 * Maps the original's configuration object onto the new schema's input. `demoKeys` are the
 * contract's public sign keys (the original's local.js had them): their use is reported.
 */
export function mapLegacyConfig(raw: unknown, where: string, demoKeys: readonly string[] = []): Omit<LegacyConfig, 'file'> {
  if (!isPlainObject(raw)) throw new LegacyConfigError(`${where}: module.exports must be an object, got ${raw === null ? 'null' : typeof raw}`);
  unknownKeys(raw, LEGACY_KEYS, where, '');
  const input: Record<string, unknown> = {};
  const mapped: string[] = [];

  if (raw.port !== undefined) {
    input.port = portValue(raw.port, 'port', where);
    mapped.push(`port → port ${input.port}`);
  }
  if (raw.redis_config !== undefined) {
    const r = raw.redis_config;
    if (!isPlainObject(r)) throw new LegacyConfigError(`${where}: redis_config must be an object {host, port}`);
    unknownKeys(r, LEGACY_REDIS_KEYS, where, 'redis_config.');
    const host = r.host === undefined ? '127.0.0.1' : r.host;
    if (typeof host !== 'string' || host === '' || /[\s/@]/.test(host)) {
      throw new LegacyConfigError(`${where}: redis_config.host must be a host name or address, got ${JSON.stringify(r.host)}`);
    }
    const port = r.port === undefined ? 6379 : portValue(r.port, 'redis_config.port', where);
    const url = `redis://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
    input.adapter = { type: 'redis', url };
    mapped.push(`redis_config → adapter redis ${url}`);
  }
  if (raw.log_dir !== undefined) {
    if (typeof raw.log_dir !== 'string' || raw.log_dir === '') throw new LegacyConfigError(`${where}: log_dir must be a folder path`);
    input.logDir = raw.log_dir;
    mapped.push(`log_dir → logDir ${raw.log_dir}`);
  }
  const demoSources: string[] = [];
  if (raw.source_list !== undefined) {
    const list = raw.source_list;
    if (!isPlainObject(list)) throw new LegacyConfigError(`${where}: source_list must be an object {name: {sign_key, publish_msg_verify}}`);
    const sources: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(list)) {
      if (!isPlainObject(s)) throw new LegacyConfigError(`${where}: source_list.${name} must be an object {sign_key, publish_msg_verify}`);
      unknownKeys(s, LEGACY_SOURCE_KEYS, where, `source_list.${name}.`);
      if (typeof s.sign_key !== 'string' || s.sign_key === '') {
        throw new LegacyConfigError(`${where}: source_list.${name}.sign_key must be a non-empty string`);
      }
      if (s.publish_msg_verify !== undefined && typeof s.publish_msg_verify !== 'boolean') {
        throw new LegacyConfigError(`${where}: source_list.${name}.publish_msg_verify must be true or false`);
      }
      sources[name] = {
        signKey: s.sign_key,
        ...(s.publish_msg_verify === undefined ? {} : { publishMsgVerify: s.publish_msg_verify }),
      };
      if (demoKeys.includes(s.sign_key)) demoSources.push(name);
    }
    input.sources = sources;
    mapped.push(`source_list → sources ${Object.keys(sources).join(', ') || '(none)'} (sign_key → signKey; publish_msg_verify → publishMsgVerify, for the xin_common_chat channel: --legacy-redis-channel)`);
  }
  if (raw.env !== undefined) mapped.push(`env ${JSON.stringify(raw.env)} ignored`);

  let summary = `${where} mapped: ${mapped.join('; ') || 'nothing set'}`;
  if (demoSources.length) {
    summary += `; DEMO KEYS: ${demoSources.join(', ')} use the contract's public sign keys (development only)`;
  }
  return { input, summary, warn: demoSources.length > 0 };
}

/**
 * Reads `--config PATH` in the original's format: a CommonJS file, or the original's folder
 * (its `config/` subfolder, or a folder holding local.js / development.js / production.js).
 */
export function readLegacyConfig(p: string, env: NodeJS.ProcessEnv, demoKeys: readonly string[] = []): LegacyConfig {
  const given = path.resolve(p);
  let file = given;
  let picked = '';
  let isDir = false;
  try {
    isDir = statSync(given).isDirectory();
  } catch (err) {
    throw new LegacyConfigError(`cannot read the original's configuration ${given}: ${(err as Error).message}`);
  }
  if (isDir) {
    const name = pickLegacyEnvFile(env.NODE_ENV);
    const folder = existsSync(path.join(given, 'config')) ? path.join(given, 'config') : given;
    file = path.join(folder, `${name}.js`);
    picked = ` (NODE_ENV=${env.NODE_ENV ?? '(unset)'} picks ${name}.js, as the original's config.js did)`;
    if (!existsSync(file)) {
      throw new LegacyConfigError(
        `${given} is a folder, read as the original's layout: NODE_ENV=${env.NODE_ENV ?? '(unset)'} picks ${path.relative(given, file) || file}, which does not exist`,
      );
    }
  }
  let raw: unknown;
  try {
    raw = loadCommonJs(file);
  } catch (err) {
    throw new LegacyConfigError(`cannot load the original's configuration ${file} (CommonJS): ${(err as Error).message}`);
  }
  const where = `original configuration ${file}${picked}`;
  return { file, ...mapLegacyConfig(raw, where, demoKeys) };
}
