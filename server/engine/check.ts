import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Socket } from 'socket.io';

/**
 * The private parts of Socket.IO, Engine.IO and ws that server/engine/ replaces or reads, checked
 * once at start-up. Each is there for a measured gain (BENCHMARKS.md, under Fan-out and
 * Memory); none is public API, so an upgrade can remove one silently. package.json pins the four
 * packages to the minor versions tested here; this check turns an untested install that lost one
 * into a start-up error naming the part and the installed versions, instead of a server that
 * quietly stops coalescing, guarding or measuring.
 */
export const TESTED_VERSIONS = { 'socket.io': '4.8', 'engine.io': '6.6', 'socket.io-adapter': '2.5', ws: '8.21' } as const;
export type EnginePackage = keyof typeof TESTED_VERSIONS;
export type EngineVersions = Record<EnginePackage, string>;

export class EngineInternalsError extends Error {
  constructor(
    readonly missing: string[],
    readonly versions: EngineVersions,
  ) {
    super(
      `node-socket-im cannot start: ${missing.join('; ')}. Installed: ${describe(versions)}; tested: ${describe(TESTED_VERSIONS)}. ` +
        'The server replaces these private methods (write coalescing, the per-packet guard, delivery counting, output budgets); ' +
        'reinstall @node-socket-im/server so that npm brings the versions its package.json pins (in a checkout: npm ci).',
    );
    this.name = 'EngineInternalsError';
  }
}

function describe(v: Record<string, string>): string {
  return Object.entries(v)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
}

/** The package.json above a resolved file (engine.io and ws export no ./package.json). */
function versionAt(file: string, name: string): string {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (!existsSync(pkg)) continue;
    const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
    if (json.name === name) return json.version ?? 'unknown';
  }
  return 'unknown';
}

interface Resolved {
  versions: EngineVersions;
  /** socket.io's Client class (one per Engine.IO connection; not exported). */
  Client: { prototype: object };
  /** engine.io's WebSocket transport. */
  WebSocketTransport: { prototype: object };
  /** The ws WebSocket class engine.io uses. */
  WebSocket: { prototype: object };
}

/** The packages as this server loads them: the engine.io socket.io resolves, the ws that engine.io resolves. */
function resolve(): Resolved {
  const fromHere = createRequire(import.meta.url);
  const socketIoMain = fromHere.resolve('socket.io');
  const fromSocketIo = createRequire(socketIoMain);
  const engineMain = fromSocketIo.resolve('engine.io');
  const adapterMain = fromSocketIo.resolve('socket.io-adapter');
  const fromEngine = createRequire(engineMain);
  const wsMain = fromEngine.resolve('ws');
  return {
    versions: {
      'socket.io': versionAt(socketIoMain, 'socket.io'),
      'engine.io': versionAt(engineMain, 'engine.io'),
      'socket.io-adapter': versionAt(adapterMain, 'socket.io-adapter'),
      ws: versionAt(wsMain, 'ws'),
    },
    Client: (fromSocketIo(path.join(path.dirname(socketIoMain), 'client.js')) as { Client: Resolved['Client'] }).Client,
    WebSocketTransport: (fromSocketIo('engine.io') as { transports: { websocket: Resolved['WebSocketTransport'] } }).transports.websocket,
    WebSocket: fromEngine('ws') as Resolved['WebSocket'],
  };
}

/** ws keeps a connection's TCP socket as the own property `_socket` (set by setSocket; null until then). */
function wsKeepsSocket(r: Resolved): boolean {
  const ws = new (r.WebSocket as unknown as new (address: null, protocols: undefined, options: object) => object)(null, undefined, {});
  return Object.hasOwn(ws, '_socket');
}

/** Each private member used, where it is, and the arity the code here calls it with. */
const METHODS: Array<{ where: string; of: (r: Resolved) => object; name: string; arity: number }> = [
  { where: 'socket.io Socket', of: () => Socket.prototype, name: 'dispatch', arity: 1 },
  { where: 'socket.io Socket', of: () => Socket.prototype, name: 'notifyOutgoingListeners', arity: 1 },
  { where: 'socket.io Client', of: (r) => r.Client.prototype, name: 'writeToEngine', arity: 2 },
  { where: 'engine.io WebSocket transport', of: (r) => r.WebSocketTransport.prototype, name: 'send', arity: 1 },
  // ws sets `_socket` (the TCP connection) in setSocket; engine.io keeps the ws as `transport.socket`.
  { where: 'ws WebSocket', of: (r) => r.WebSocket.prototype, name: 'setSocket', arity: 3 },
];

/**
 * Checks every private method server/engine/ replaces or relies on: present, a function, taking
 * the arguments it is called with. Throws EngineInternalsError when one is not; warns (through
 * `warn`) when the versions are not the tested ones but everything is there. Returns the
 * versions.
 */
export function checkEngineInternals(warn: (message: string) => void = () => {}): EngineVersions {
  let r: Resolved;
  try {
    r = resolve();
  } catch (err) {
    // A bundle that carries socket.io inside it (esbuild, ncc, webpack) has no node_modules copy to check.
    const unknown = { 'socket.io': 'unknown', 'engine.io': 'unknown', 'socket.io-adapter': 'unknown', ws: 'unknown' };
    throw new EngineInternalsError([`socket.io, engine.io and ws cannot be found in node_modules from the server (${(err as Error).message.split('\n')[0]}); bundling them into one file is not supported`], unknown);
  }
  const missing: string[] = [];
  for (const m of METHODS) {
    const fn = (m.of(r) as Record<string, unknown>)[m.name];
    if (typeof fn !== 'function') missing.push(`${m.where}#${m.name} is missing`);
    else if (fn.length !== m.arity) missing.push(`${m.where}#${m.name} takes ${fn.length} arguments, not ${m.arity}`);
  }
  if (!wsKeepsSocket(r)) missing.push('ws WebSocket has no own `_socket` (the TCP connection)');
  if (missing.length) throw new EngineInternalsError(missing, r.versions);
  const untested = (Object.keys(TESTED_VERSIONS) as EnginePackage[]).filter((p) => !`${r.versions[p]}.`.startsWith(`${TESTED_VERSIONS[p]}.`));
  if (untested.length) {
    warn(
      `untested versions of ${untested.join(', ')} (installed: ${describe(r.versions)}; tested: ${describe(TESTED_VERSIONS)}): ` +
        'the private methods server/engine/ replaces are present; watch fan-out, output budgets and im_deliveries_total',
    );
  }
  return r.versions;
}
