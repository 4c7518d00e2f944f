#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx is a runtime dependency): no build step needed for
// `npx im-debug ...` or `node terminal-viewer/bin/im-debug.js ...`.
// NODE_ENV is left alone here: `im-debug serve` must see the user's (production refuses the
// demo keys); the interactive view sets NODE_ENV=production itself before React loads
// (commands/tail.ts), so it runs React's production build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli.ts');
await main(process.argv);
