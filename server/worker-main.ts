import cluster from 'node:cluster';
import { pino } from 'pino';
import { createServer } from './create-server';
import { runWorker } from './workers/workers';

// Entry of each `--workers N` process (forked by runPrimary); the configuration comes over IPC.
runWorker(createServer, (config) => pino({ level: config.logLevel, base: { pid: process.pid, worker: cluster.worker?.id } })).catch((err: unknown) => {
  process.stderr.write(`node-socket-im worker: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
