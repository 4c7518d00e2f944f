#!/usr/bin/env node
// The installed package (npm install / npm install -g / npx) runs the compiled CLI in ../dist.
// In a checkout of the repository the TypeScript sources sit beside this file: run them through
// tsx (a development dependency), so the CLI never runs a stale build and needs no build step.
// NODE_ENV is left alone here: `im-debug serve` must see the user's (production refuses the
// demo keys); the interactive view sets NODE_ENV=production itself before React loads
// (commands/tail.ts), so it runs React's production build.
import { existsSync } from 'node:fs';

const source = new URL('../cli.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import('../dist/cli.js');
}
await cli.main(process.argv);
