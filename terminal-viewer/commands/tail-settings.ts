import { existsSync } from 'node:fs';
import { Chalk } from 'chalk';
import { ImError, type LogLevel } from '../../packages/protocol';
import { parsePositiveInt, parseSince } from '../options/duration';
import { resolveConnection, type ConnectionFlags, type ConnectionSettings } from '../options/connection';
import { createFilter, parseLevel, parseNetworkMode, type Filter, type NetworkMode } from '../state/filters';
import { DEFAULT_BUFFER_SIZE } from '../state/reducer';
import { createSocketLogStream, type SocketLogStream } from '../stream/log-stream';
import { createSourceMapper, parseOrigin, withSourceMaps } from '../stream/source-maps';
import type { CliIo } from './io';

// What `tail` (plain or interactive) and `mcp` share: the settings from flags, and the stream.

/** Flags of `im-debug tail` as commander hands them over. */
export interface TailFlags extends ConnectionFlags {
  level?: string;
  grep?: string;
  session?: string;
  /** only | hide | show: network rows. */
  network?: string;
  /** Origins whose source maps may be fetched (repeatable). */
  sourceMapsFrom?: string[];
  /** A folder of .map files. */
  sourceMaps?: string;
  tail?: string;
  since?: string;
  json?: boolean;
  plain?: boolean;
  /** false with --no-follow */
  follow?: boolean;
  buffer?: string;
  quiet?: boolean;
  /** false with --no-color */
  color?: boolean;
}

export interface TailSettings extends ConnectionSettings {
  level?: LogLevel;
  grep?: string;
  session?: string;
  network: NetworkMode;
  /** Source maps: allowed origins and/or a folder; undefined when neither was given. */
  sourceMaps?: SourceMapChoice;
  tail?: number;
  since?: number;
  json: boolean;
  interactive: boolean;
  follow: boolean;
  bufferSize: number;
  quiet: boolean;
  color: boolean;
}

/** Everything `tail` needs, from flags, env, the config file and defaults (in that order). */
export function resolveTailSettings(flags: TailFlags, io: CliIo): TailSettings {
  const connection = resolveConnection(flags, io);
  const level = flags.level !== undefined ? parseLevel(flags.level) : undefined;
  // Compile now so a bad --grep fails before connecting.
  if (flags.grep !== undefined) createFilter({ text: flags.grep, regex: true });
  const json = flags.json === true;
  const tail = flags.tail !== undefined ? parsePositiveInt(flags.tail, '--tail') : undefined;
  const since = flags.since !== undefined ? parseSince(flags.since, Date.now()) : undefined;
  const follow = flags.follow !== false;
  if (!follow && tail === undefined && since === undefined) {
    throw new ImError('INVALID_PARAMETER', '--no-follow prints recent history and exits: give --tail N or --since TIME with it');
  }
  return {
    ...connection,
    level,
    grep: flags.grep,
    session: flags.session,
    network: flags.network !== undefined ? parseNetworkMode(flags.network) : 'show',
    sourceMaps: sourceMapSettings(flags),
    tail,
    since,
    json,
    interactive: io.stdout.isTTY === true && !json && flags.plain !== true && follow,
    follow,
    bufferSize: flags.buffer !== undefined ? parsePositiveInt(flags.buffer, '--buffer') : DEFAULT_BUFFER_SIZE,
    quiet: flags.quiet === true,
    // chalk's level already says whether stdout takes colours (a terminal, or FORCE_COLOR).
    color: flags.color !== false && new Chalk().level > 0,
  };
}

export function tailFilter(s: TailSettings): Filter {
  return createFilter({ level: s.level, text: s.grep, regex: true, session: s.session ?? null, network: s.network });
}

interface SourceMapChoice {
  origins: string[];
  dir?: string;
}

function sourceMapSettings(flags: TailFlags): SourceMapChoice | undefined {
  const origins = (flags.sourceMapsFrom ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean).map(parseOrigin);
  if (origins.length === 0 && !flags.sourceMaps) return undefined;
  if (flags.sourceMaps && !existsSync(flags.sourceMaps)) throw new ImError('INVALID_PARAMETER', `--source-maps ${flags.sourceMaps}: no such folder`);
  return { origins, dir: flags.sourceMaps };
}

/** The socket stream for these settings (`tail` and `mcp` read rooms the same way). */
export function openStream(s: ConnectionSettings & { tail?: number; since?: number; sourceMaps?: SourceMapChoice }): SocketLogStream {
  const stream = openSocketStream(s);
  // Call sites through the page's source maps, fetched only from the origins the user named.
  return s.sourceMaps ? withSourceMaps(stream, createSourceMapper(s.sourceMaps)) : stream;
}

function openSocketStream(s: ConnectionSettings & { tail?: number; since?: number }): SocketLogStream {
  return createSocketLogStream({
    server: s.server,
    source: s.source,
    rooms: s.rooms,
    sign: s.sign,
    userid: s.userid,
    username: s.username,
    tail: s.tail,
    since: s.since,
  });
}

/**
 * Piped (or --plain / --json): one line per entry on stdout, status and notices on stderr.
 * Resolves with the exit code: 0 on a signal, a closed pipe or the end of --no-follow; 2 when
 * the server refuses the connection.
 */
