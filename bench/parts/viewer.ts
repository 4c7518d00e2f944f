import { existsSync } from 'node:fs';
import path from 'node:path';
import { forkChild } from '../lib/ipc';
import { BENCH_DIR, PROJECT_ROOT, type PartContext, type PartOutput } from '../lib/part';
import { fmtBytes, fmtInt } from '../lib/stats';
import type { ViewerRunRequest, ViewerRunResult } from '../viewer/viewer-child';

const NEEDED = ['terminal-viewer/components/App.tsx', 'terminal-viewer/state/reducer.ts', 'terminal-viewer/stream/manual-stream.ts'];

async function runChild(req: ViewerRunRequest, nodeEnv: string | undefined): Promise<ViewerRunResult> {
  // Ink renders only the last frame when it believes it runs in CI: the view must render live here.
  const child = await forkChild(path.join(BENCH_DIR, 'viewer/viewer-child.tsx'), {
    nodeFlags: ['--expose-gc'],
    env: { CI: undefined, CONTINUOUS_INTEGRATION: undefined, NODE_ENV: nodeEnv },
    quietStdout: true,
  });
  try {
    return await child.call<ViewerRunResult>('run', req, req.timeLimitMs + 30_000);
  } finally {
    await child.stop();
  }
}

/**
 * Viewer: how many entries per second the interactive `im-debug tail` view takes in while
 * rendering, and its memory once 100,000 entries went through it.
 */
export async function viewerPart(ctx: PartContext): Promise<PartOutput> {
  const title = '5. Terminal viewer';
  const missing = NEEDED.filter((f) => !existsSync(path.join(PROJECT_ROOT, f)));
  if (missing.length) {
    return { title, pending: `terminal viewer not there yet (${missing.join(', ')})`, tables: [], targets: [], notes: [] };
  }
  const entries = ctx.quick ? 20_000 : 100_000;
  const timeLimitMs = ctx.quick ? 20_000 : 45_000;
  const tty = await runChild({ mode: 'tty', entries, chunk: 250, maxBacklog: 5000, timeLimitMs }, 'production');
  ctx.log(`tty view: ${fmtInt(tty.perSecond)} entries/s, ${tty.frames} writes, heap +${fmtBytes(tty.heapAfter - tty.heapBefore)}`);
  const pure = await runChild({ mode: 'reducer', entries, chunk: 500, maxBacklog: 0, timeLimitMs }, 'production');
  ctx.log(`reducer: ${fmtInt(pure.perSecond)} entries/s`);

  const row = (label: string, r: ViewerRunResult) => [
    label,
    `${fmtInt(r.received)}${r.received < r.entries ? ` of ${fmtInt(r.entries)}` : ''}`,
    fmtInt(r.perSecond),
    r.mode === 'tty' ? `${fmtInt(r.frames)} (${fmtBytes(r.bytesWritten)})` : '–',
    fmtInt(r.rows),
    fmtBytes(r.heapAfter),
    `+${fmtBytes(r.heapAfter - r.heapBefore)}`,
    fmtBytes(r.rssAfter),
  ];
  return {
    title,
    tables: [
      {
        header: ['Run', 'Entries', 'Entries/s', 'Terminal writes', 'Rows kept', 'Heap after', 'Heap growth', 'RSS after'],
        rows: [
          row('`tail` TTY view (Ink, 120×40, ≤ 30 fps), NODE_ENV=production', tty),
          row('reducer only (no rendering)', pure),
        ],
      },
    ],
    targets: [],
    notes: [
      `${fmtInt(entries)} remote-debug entries (a \`console.log\` with a format string, a number and an object, five sessions, every ` +
        'level), pushed through the same manual stream the viewer\'s tests use, into the real Ink `App` rendering to a fake ' +
        '120×40 terminal with the options of `im-debug tail` (30 frames per second at most). The feeder keeps at most 5,000 ' +
        'entries ahead of the view\'s state, so the rate is the one the view keeps up with, entries becoming visible rows, ' +
        'not the rate they can be queued. "Reducer only" is the same entries through the pure reducer, without React or Ink: ' +
        'what the state logic alone costs.',
      'Memory is the viewer process\'s heap after forced full collections, before the first entry and after the last (and one ' +
        'more frame). The ring buffer keeps the newest rows (10,000 by default), so memory stays flat however many entries ' +
        'pass through; "rows kept" shows it.',
      'The view runs React\'s production build, as `im-debug tail` does (commands/tail.ts sets `NODE_ENV=production` before ' +
        'React loads). The development build records a `performance.measure` entry for every component render, which Node ' +
        'keeps, so its heap would grow for as long as the view runs.',
    ],
  };
}
