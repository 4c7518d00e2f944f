import { ImError } from '../../packages/protocol';
import { DEMO_SOURCES } from '../../server/config';
import type { ViewerConfig } from './viewer-config';

export const DEFAULT_SERVER = 'http://127.0.0.1:4000';
export const DEFAULT_SOURCE = 'remote_debug';

/** Where a key or sign came from, for messages ("from IM_SIGN_KEY", "the demo key"). */
export type CredentialOrigin = 'flag' | 'env' | 'config' | 'demo';

export type Credential =
  | { kind: 'sign'; sign: string; origin: CredentialOrigin }
  | { kind: 'key'; key: string; origin: CredentialOrigin };

/** Accepts `host:port` and bare hosts; only http(s) URLs. */
export function parseServerUrl(raw: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ImError('INVALID_PARAMETER', `--server ${JSON.stringify(raw)} is not a URL (example: http://127.0.0.1:4000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ImError('INVALID_PARAMETER', `--server must be an http:// or https:// URL, got ${url.protocol}`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** True for this machine only: the demo keys are public and must never travel further. */
export function isLocalServer(server: string): boolean {
  const host = new URL(server).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export interface CredentialInput {
  server: string;
  source: string;
  /** --sign: a ready-made sign (only where the command takes one). */
  sign?: string;
  /** --sign-key */
  signKey?: string;
  env: NodeJS.ProcessEnv;
  config: ViewerConfig;
  /** Env variable of a ready-made sign (IM_SIGN for tail); none for commands that need a key. */
  signEnv?: string;
  /** Told when the demo key is used (the CLI prints it on stderr). */
  onDemoKey?: (message: string) => void;
}

/**
 * The sign or key to use, in this order: --sign, --sign-key, env (IM_SIGN, IM_SIGN_KEY), the
 * config file (keys[source], then signKey when the file's source is this one), and last the
 * source's public demo key, only against a server on this machine.
 */
export function resolveCredential(input: CredentialInput): Credential {
  const { env, config, source } = input;
  if (input.sign) return { kind: 'sign', sign: input.sign, origin: 'flag' };
  if (input.signKey) return { kind: 'key', key: input.signKey, origin: 'flag' };
  if (input.signEnv && env[input.signEnv]) return { kind: 'sign', sign: env[input.signEnv]!, origin: 'env' };
  if (env.IM_SIGN_KEY) return { kind: 'key', key: env.IM_SIGN_KEY, origin: 'env' };
  const fromConfig = config.keys?.[source] ?? ((config.source ?? DEFAULT_SOURCE) === source ? config.signKey : undefined);
  if (fromConfig) return { kind: 'key', key: fromConfig, origin: 'config' };
  const demo = Object.hasOwn(DEMO_SOURCES, source) ? DEMO_SOURCES[source as keyof typeof DEMO_SOURCES] : undefined;
  if (demo && isLocalServer(input.server)) {
    input.onDemoKey?.(`no sign key given: using the public demo key of source "${source}" (only ever sent to a server on this machine)`);
    return { kind: 'key', key: demo.signKey, origin: 'demo' };
  }
  const why = demo ? ` (the demo key of "${source}" is used only with a server on this machine, not ${input.server})` : '';
  throw new ImError(
    'SIGN_REQUIRED',
    `no sign key for source "${source}"${why}: pass --sign-key KEY, set IM_SIGN_KEY, or put {"keys": {"${source}": "KEY"}} in the config file`,
  );
}
