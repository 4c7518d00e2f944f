import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import type { Health } from './adapters/health';
import type { ServerConfig } from './config';
import type { EngineHooks } from './engine';
import type { Inflight } from './http/inflight';
import type { ImServer } from './core/im-server';

export interface ShutdownParts {
  config: Pick<ServerConfig, 'shutdownTimeoutMs'>;
  logger: Logger;
  httpServer: HttpServer;
  io: ImServer;
  inflight: Inflight;
  engine: Pick<EngineHooks, 'webSocketConnections'>;
  health: Health;
  /** Run first, before waiting for requests (live streams never finish by themselves). */
  beforeConnections: Array<() => void>;
  /** Run in order once every connection is closed (stores, files, Redis). */
  afterConnections: Array<() => void | Promise<void>>;
}

/**
 * Graceful shutdown, once however often it is called: stop accepting, finish in-flight requests,
 * close every Engine.IO session and cut what is left, then close the parts in order. One budget
 * (`shutdownTimeoutMs`) for the whole: whatever has not finished by then is cut.
 */
export function createShutdown(parts: ShutdownParts): () => Promise<void> {
  const { httpServer, io, inflight } = parts;
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      inflight.drain();
      parts.health.setDraining();
      for (const end of parts.beforeConnections) end();
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, parts.config.shutdownTimeoutMs).unref());
      // Stop accepting new connections; keep the open ones until their requests finish.
      httpServer.close();
      if (inflight.count > 0) await Promise.race([inflight.idle(), deadline]);
      // Node's close() waits for every connection to end, even one a browser opened and never
      // used, or one stalled halfway through its headers. So: every Engine.IO session gets its
      // close (WebSockets a close frame, pending polls a close packet), then what is left of
      // plain HTTP is cut, and WebSocket peers that never answer their close frame are cut at
      // the deadline.
      const webSockets = parts.engine.webSocketConnections();
      io.engine.close();
      httpServer.closeAllConnections();
      const ioClosed = io.close();
      await Promise.race([ioClosed, deadline]);
      for (const tcp of webSockets) tcp.destroy();
      await ioClosed;
      for (const step of parts.afterConnections) await step();
      parts.logger.flush?.();
    })());
}
