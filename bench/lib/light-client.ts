import WebSocket from 'ws';

/**
 * A minimal Socket.IO v5 / Engine.IO v4 client over one WebSocket: the open packet, a connect
 * to the main namespace, ping answers, and a callback per event frame, left as raw bytes.
 *
 * Why not socket.io-client: a thousand full clients in one process spend more CPU decoding a
 * broadcast than the server spends sending it, so the benchmark would measure the clients.
 * This client does the protocol's required work only, the same for every server compared
 * (the raw `ws` baseline speaks the same framing), so the servers are what differs.
 */
export interface LightClient {
  close(): void;
  readonly socket: WebSocket;
}

export interface LightClientOptions {
  /** e.g. ws://127.0.0.1:4000/socket.io/?EIO=4&transport=websocket&source=... */
  url: string;
  /** Every `42[...]` event frame, as received. */
  onEvent(frame: Buffer): void;
  timeoutMs?: number;
}

const PING = 0x32; // '2'
const MESSAGE = 0x34; // '4'
const CONNECT = 0x30; // '0'
const EVENT = 0x32; // '2'
const CONNECT_ERROR = 0x34; // '4'

/** Connects and resolves once the namespace connect is accepted; rejects with the server's reason. */
export function connectLight(opts: LightClientOptions): Promise<LightClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(opts.url, { perMessageDeflate: false, skipUTF8Validation: true });
    let state: 'open' | 'connecting' | 'connected' | 'failed' = 'open';
    const fail = (err: Error) => {
      if (state === 'connected' || state === 'failed') return;
      state = 'failed';
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('connect timed out')), opts.timeoutMs ?? 15_000);
    ws.on('error', fail);
    ws.on('close', () => fail(new Error('closed before connected')));
    ws.on('message', (data: Buffer) => {
      const type = data[0];
      if (type === MESSAGE) {
        const sub = data[1];
        if (sub === EVENT) {
          opts.onEvent(data);
        } else if (sub === CONNECT && state === 'connecting') {
          state = 'connected';
          clearTimeout(timer);
          resolve({ close: () => ws.terminate(), socket: ws });
        } else if (sub === CONNECT_ERROR) {
          fail(new Error(`connect refused: ${data.toString('utf8', 2)}`));
        }
      } else if (type === PING) {
        ws.send('3');
      } else if (type === CONNECT && state === 'open') {
        // Engine.IO open packet; now join the main namespace.
        state = 'connecting';
        ws.send('40');
      }
    });
  });
}

/**
 * Reads the sequence number a benchmark put at the start of the message's `data`
 * (`"data":"m<seq>.`), without parsing the JSON: a byte search and a few digits.
 */
export function sequenceOf(frame: Buffer, marker: Buffer): number {
  const at = frame.indexOf(marker);
  if (at < 0) return -1;
  let n = 0;
  let i = at + marker.length;
  let digits = 0;
  for (; i < frame.length; i++) {
    const c = frame[i]!;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
    digits++;
  }
  return digits > 0 ? n : -1;
}

export const SEQ_MARKER = Buffer.from('"data":"m');

/** The `data` of message `seq`: its marker, then padding to `bytes` characters. */
export function payloadFor(seq: number, bytes: number): string {
  const head = `m${seq}.`;
  return head + 'x'.repeat(Math.max(0, bytes - head.length));
}
