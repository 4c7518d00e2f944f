import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ImError } from '../../packages/protocol';

/**
 * im-debug's own settings file (not the server's): defaults for the server, the source and the
 * sign keys, so they need not be typed or left in shell history.
 *
 *   { "server": "https://im.example.com", "source": "remote_debug",
 *     "keys": { "remote_debug": "…", "shop": "…" }, "strong": true }
 */
export const viewerConfigSchema = z
  .object({
    server: z.string().min(1).optional(),
    source: z.string().min(1).optional(),
    /** Sign key of `source`. */
    signKey: z.string().min(1).optional(),
    /** Sign keys by source name. */
    keys: z.record(z.string(), z.string().min(1)).optional(),
    userid: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    /** Make strong signs (HMAC-SHA256 with ts and nonce) instead of the legacy md5 ones. */
    strong: z.boolean().optional(),
  })
  .strict();

export type ViewerConfig = z.infer<typeof viewerConfigSchema>;

/** Where the settings file is looked for when neither --config nor IM_DEBUG_CONFIG names one. */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), '.config');
  return path.join(base, 'im-debug.json');
}

/**
 * Reads the settings: `file` (--config), else env IM_DEBUG_CONFIG, else the default path if it
 * exists. A file that was named but cannot be read, or holds a wrong key, is an error.
 */
export function loadViewerConfig(file: string | undefined, env: NodeJS.ProcessEnv): { config: ViewerConfig; path?: string } {
  const named = file ?? env.IM_DEBUG_CONFIG;
  const target = named ?? defaultConfigPath(env);
  if (!named && !existsSync(target)) return { config: {} };
  let text: string;
  try {
    text = readFileSync(target, 'utf8');
  } catch (err) {
    throw new ImError('INVALID_PARAMETER', `cannot read config file ${target}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ImError('INVALID_PARAMETER', `config file ${target} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = viewerConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ImError('INVALID_PARAMETER', `config file ${target}: ${issues}`);
  }
  return { config: parsed.data, path: target };
}
