#!/usr/bin/env node
// `node-socket-im [--config FILE] [--port N] [--workers N|auto]`: the relay, as `npm start` runs it.
// The installed package runs the compiled server in ../dist; in a checkout of the repository
// (TypeScript beside this file) it runs the sources through tsx, a development dependency.
import { existsSync } from 'node:fs';

const source = new URL('../main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/main.js');
}
