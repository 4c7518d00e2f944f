import { ImError } from '../../packages/protocol';
import { STRONG_SIGN_TYPE, signRequest } from '../../packages/signing';
import type { ViewerConfig } from './viewer-config';

/**
 * Which sign im-debug makes: the contract's md5 (`legacy`, the default: every server takes it)
 * or the strong HMAC-SHA256 one with ts and nonce (packages/signing/strong.ts), which sources
 * configured with `signing: "strong"` require.
 */
export type SignScheme = 'legacy' | 'strong';

export interface SchemeChoice {
  scheme: SignScheme;
  /** What chose it, for messages: `--strong`, `IM_STRONG=1`, `the config file ("strong": true)`. */
  from: string;
}

/** --strong / --no-strong, then env IM_STRONG (1 or 0), then the config file's `strong`; legacy otherwise. */
export function resolveScheme(flag: boolean | undefined, env: NodeJS.ProcessEnv, config: ViewerConfig): SchemeChoice {
  if (flag !== undefined) return { scheme: flag ? 'strong' : 'legacy', from: flag ? '--strong' : '--no-strong' };
  const raw = env.IM_STRONG?.trim().toLowerCase();
  if (raw !== undefined && raw !== '') {
    if (['1', 'true', 'yes'].includes(raw)) return { scheme: 'strong', from: 'IM_STRONG=1' };
    if (['0', 'false', 'no'].includes(raw)) return { scheme: 'legacy', from: 'IM_STRONG=0' };
    throw new ImError('INVALID_PARAMETER', `IM_STRONG must be 1 (strong signs) or 0 (legacy signs), got ${JSON.stringify(env.IM_STRONG)}`);
  }
  if (config.strong !== undefined) return { scheme: config.strong ? 'strong' : 'legacy', from: `the config file ("strong": ${config.strong})` };
  return { scheme: 'legacy', from: 'the default' };
}

/**
 * A ready-made sign cannot be strong: each strong sign holds a fresh ts and nonce and is
 * accepted once, so im-debug has to make it from the key.
 */
export function refuseReadyMadeSign(choice: SchemeChoice, what: 'connect' | 'notify'): never {
  const why =
    what === 'connect'
      ? 'a strong connect sign is single-use, so im-debug signs every connection attempt (reconnects too) afresh with the key'
      : 'a strong notify sign holds a fresh ts and nonce, so im-debug makes it from the key';
  const off = choice.from.startsWith('--') ? '' : ', or pass --no-strong for the legacy md5 sign';
  throw new ImError(
    'INVALID_PARAMETER',
    `--sign cannot be used with strong signs (${choice.from}): ${why}; give the key instead (--sign-key KEY, IM_SIGN_KEY or the config file)${off}`,
  );
}

/** The userid and username a connection uses: --userid, then the config's userid, then the user name. */
export function resolveIdentity(flags: { user?: string; userid?: string }, config: ViewerConfig): { userid: string; username: string } {
  const username = flags.user ?? config.username ?? 'im-debug';
  return { userid: flags.userid ?? config.userid ?? username, username };
}

/** The sign fields Socket.IO's `auth` carries; the server takes them over the query's. */
export type ConnectAuthFields = { sign: string; sign_type: string; ts: string; nonce: string };

/** Makes a new strong connect sign (new ts, new nonce) each time it is called. */
export function strongConnectAuth(p: { source: string; roomIds: string; userid: string; signKey: string }): () => ConnectAuthFields {
  return () => {
    const f = signRequest({ kind: 'connect', scheme: 'strong', ...p });
    return { sign: f.sign!, sign_type: f.sign_type!, ts: f.ts!, nonce: f.nonce! };
  };
}

/**
 * A hint after the server's refusal when the sign scheme is the reason, e.g. a legacy sign for
 * a source that requires strong ones ('' when there is nothing to add).
 */
export function schemeHint(message: string, scheme: SignScheme): string {
  if (scheme === 'legacy' && message.includes('requires strong signs')) {
    return `im-debug signed with the legacy md5 sign: add --strong (or IM_STRONG=1) to sign with ${STRONG_SIGN_TYPE}`;
  }
  if (scheme === 'strong' && message.includes('accepts only legacy')) {
    return 'im-debug signed with the strong sign: drop --strong (or pass --no-strong) for the legacy md5 sign';
  }
  return '';
}
