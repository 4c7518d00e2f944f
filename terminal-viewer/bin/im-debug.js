#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx is a runtime dependency): no build step needed for
// `npx im-debug ...` or `node terminal-viewer/bin/im-debug.js ...`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli.ts');
await main(process.argv);
