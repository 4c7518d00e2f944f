import { ImError } from '../../packages/protocol';
import { legacyConnectSign } from '../../packages/signing';
import type { NoticeLevel } from '../stream/types';
import { DEFAULT_SERVER, DEFAULT_SOURCE, parseServerUrl, resolveCredential } from './credentials';
import { refuseReadyMadeSign, resolveIdentity, resolveScheme, schemeHint, strongConnectAuth, type SignScheme } from './signing';
import { loadViewerConfig } from './viewer-config';

/**
 * How a reading command (`tail`, `mcp`) connects: server, source, rooms, the sign and who it
 * connects as. One resolver, so every reader takes the same flags, env, config file and
 * demo-key rule.
 */
export interface ConnectionFlags {
  room?: string[];
  server?: string;
  source?: string;
  sign?: string;
  signKey?: string;
  config?: string;
  user?: string;
  userid?: string;
  /** true with --strong, false with --no-strong. */
  strong?: boolean;
}

export interface ConnectionSettings {
  server: string;
  source: string;
  rooms: string[];
  /** A fixed legacy sign, or (strong) fresh sign fields for every connection attempt. */
  sign: string | (() => Record<string, string>);
  scheme: SignScheme;
  userid: string;
  username: string;
  /** Things to tell the user before starting (the demo key). */
  notices: Array<{ text: string; level: NoticeLevel }>;
}

/** Splits `--room a --room b,c` into rooms, in order, without repeats. */
export function parseRooms(values: readonly string[] | undefined): string[] {
  const rooms = [...new Set((values ?? []).flatMap((v) => v.split(',')).map((r) => r.trim()).filter((r) => r !== ''))];
  if (rooms.length === 0) throw new ImError('ROOMS_REQUIRED', 'give at least one --room ROOM (e.g. --room console-log)');
  return rooms;
}

/** The connection, from flags, env, the config file and defaults (in that order). */
export function resolveConnection(flags: ConnectionFlags, io: { env: NodeJS.ProcessEnv }): ConnectionSettings {
  const { config } = loadViewerConfig(flags.config, io.env);
  const server = parseServerUrl(flags.server ?? io.env.IM_SERVER ?? config.server ?? DEFAULT_SERVER);
  const source = flags.source ?? io.env.IM_SOURCE ?? config.source ?? DEFAULT_SOURCE;
  const rooms = parseRooms(flags.room);
  const notices: ConnectionSettings['notices'] = [];
  const choice = resolveScheme(flags.strong, io.env, config);
  const strong = choice.scheme === 'strong';
  if (strong && flags.sign) refuseReadyMadeSign(choice, 'connect');
  if (strong && io.env.IM_SIGN) notices.push({ text: `IM_SIGN is ignored with strong signs (${choice.from}): each connection is signed afresh with the key`, level: 'info' });
  const credential = resolveCredential({
    server,
    source,
    sign: strong ? undefined : flags.sign,
    signKey: flags.signKey,
    env: io.env,
    config,
    signEnv: strong ? undefined : 'IM_SIGN',
    onDemoKey: (text) => notices.push({ text, level: 'warn' }),
  });
  const { userid, username } = resolveIdentity(flags, config);
  const sign =
    credential.kind === 'sign'
      ? credential.sign
      : strong
        ? strongConnectAuth({ source, roomIds: rooms.join(','), userid, signKey: credential.key })
        : legacyConnectSign(source, rooms.join(','), credential.key);
  return { server, source, rooms, sign, scheme: choice.scheme, userid, username, notices };
}

/** The server's refusal as printed on stderr, with a hint when the sign scheme is the reason. */
export function refusalText(s: Pick<ConnectionSettings, 'scheme'>, message: string, code?: string): string {
  const hint = schemeHint(message, s.scheme);
  return `im-debug: ${message}${code ? ` (${code})` : ''}\n${hint ? `im-debug: ${hint}\n` : ''}`;
}
