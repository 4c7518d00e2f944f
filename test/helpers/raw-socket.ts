import WebSocket from 'ws';

/**
 * A Socket.IO connection spoken by hand over one WebSocket (Engine.IO v4 framing), so tests can
 * send what no well-behaved client would: raw query strings, garbage `auth` payloads, frames
 * nested deeper than socket.io-client can encode.
 *
 *   server → '0{…}' open, '2' ping (we answer '3'), '40{…}' connected, '44{…}' connect error,
 *            '42[…]' event, '43<id>[…]' ack
 */
export class RawSocket {
  private readonly ws: WebSocket;
  private readonly queue: string[] = [];
  private waiters: Array<(packet: string | undefined) => void> = [];
  private closed = false;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === '2') {
        ws.send('3');
        return;
      }
      if (!text.startsWith('4')) return;
      const packet = text.slice(1);
      const waiter = this.waiters.shift();
      if (waiter) waiter(packet);
      else this.queue.push(packet);
    });
    const end = () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(undefined);
    };
    ws.on('close', end);
    ws.on('error', end);
  }

  /** Opens the WebSocket with `rawQuery` appended verbatim (already URL-encoded as wanted). */
  static open(baseUrl: string, rawQuery: string): Promise<RawSocket> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket${rawQuery ? `&${rawQuery}` : ''}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const socket = new RawSocket(ws);
      ws.once('message', () => resolve(socket));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** The next Socket.IO packet (without the Engine.IO '4'), or undefined once the connection closed. */
  next(): Promise<string | undefined> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sends one Socket.IO packet text, e.g. '40' or '420["postMsg","x","r"]'. */
  send(packet: string): void {
    if (!this.closed) this.ws.send(`4${packet}`);
  }

  /** The next packet that is not a server-sent event (42…), e.g. an ack or a connect answer. */
  async nextReply(): Promise<string | undefined> {
    for (;;) {
      const p = await this.next();
      if (p === undefined || !p.startsWith('2')) return p;
    }
  }

  /** Packets received and not taken with next() yet. */
  get received(): readonly string[] {
    return this.queue;
  }

  /** Stops reading the TCP connection (a stalled reader): what the server sends piles up. */
  pause(): void {
    (this.ws as unknown as { _socket?: { pause(): void } })._socket?.pause();
  }

  resume(): void {
    (this.ws as unknown as { _socket?: { resume(): void } })._socket?.resume();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    this.ws.terminate();
  }
}
