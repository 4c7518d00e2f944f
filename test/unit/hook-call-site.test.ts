import { describe, expect, it } from 'vitest';
import { callerFrame, formatFrames, mapStackText, ownFile, parseStack, stackFiles, type StackFrame } from '../../packages/log-core';

const CHROMIUM = `Error: boom
    at wrapper (http://cdn.test/js/node_im_remote_debug.js:1:2345)
    at render (http://app.test/static/app.js:10:15)
    at new Widget (http://app.test/static/app.js:20:3)
    at async load (http://app.test/static/app.js:30:7)
    at http://app.test/static/app.js:40:1
    at Array.forEach (<anonymous>)
    at Object.<anonymous> (http://app.test/page.html:5:9)
    at eval (eval at run (http://app.test/static/app.js:50:2), <anonymous>:1:1)
    at obj.fn [as handler] (http://app.test/static/app.js:60:4)`;

const FIREFOX = `wrapper@http://cdn.test/js/node_im_remote_debug.js:1:2345
render@http://app.test/static/app.js:10:15
Widget@http://app.test/static/app.js:20:3
load/<@http://app.test/static/app.js:30:7
@http://app.test/static/app.js:40:1
run@http://app.test/static/app.js line 50 > eval:1:1
gen*@http://app.test/static/app.js:70:2`;

const SAFARI = `wrapper@http://cdn.test/js/node_im_remote_debug.js:1:2345
render@http://app.test/static/app.js:10:15
forEach@[native code]
global code@http://app.test/page.html:5:9
http://app.test/static/app.js:40:1
module code@http://app.test/mod.js:3:4`;

/** The hook's own frame, first in every stack here. */
const HOOK = { file: 'http://cdn.test/js/node_im_remote_debug.js', line: 1, col: 2345, fn: 'wrapper' };
/** A frame of the page's script, http://app.test/static/app.js. */
const app = (line: number, col: number, fn?: string) => ({ file: 'http://app.test/static/app.js', line, col, fn });

describe('call-site parsing', () => {
  it('reads Chromium (V8) stacks', () => {
    expect(parseStack(CHROMIUM)).toEqual([HOOK, app(10, 15, 'render'), app(20, 3, 'new Widget'), app(30, 7, 'load'), app(40, 1), { file: 'http://app.test/page.html', line: 5, col: 9, fn: 'Object.<anonymous>' }, app(50, 2), app(60, 4, 'obj.fn [as handler]')]);
  });

  it('reads Firefox (SpiderMonkey) stacks', () => {
    expect(parseStack(FIREFOX)).toEqual([HOOK, app(10, 15, 'render'), app(20, 3, 'Widget'), app(30, 7, 'load'), app(40, 1), app(50, 0, 'run'), app(70, 2, 'gen')]);
  });

  it('reads Safari (JavaScriptCore) stacks, skipping native frames', () => {
    expect(parseStack(SAFARI)).toEqual([HOOK, app(10, 15, 'render'), { file: 'http://app.test/page.html', line: 5, col: 9, fn: undefined }, app(40, 1), { file: 'http://app.test/mod.js', line: 3, col: 4, fn: undefined }]);
  });

  it('reads Node stacks (the Node log helper uses the same parser)', () => {
    const stack = `Error\n    at log (file:///srv/app/node_modules/x/logger.js:3:9)\n    at main (/srv/app/index.js:12:5)\n    at node:internal/main:1:2`;
    expect(parseStack(stack).map((f) => `${f.file}:${f.line}`)).toEqual([
      'file:///srv/app/node_modules/x/logger.js:3',
      '/srv/app/index.js:12',
      'node:internal/main:1',
    ]);
  });

  it('callerFrame skips the hook wrapper and the hook file', () => {
    for (const stack of [CHROMIUM, FIREFOX, SAFARI]) {
      expect(callerFrame(stack, 1)).toMatchObject({ file: 'http://app.test/static/app.js', line: 10, col: 15 });
      expect(callerFrame(stack, 0, ['http://cdn.test/js/node_im_remote_debug.js'])).toMatchObject({ line: 10 });
    }
    expect(callerFrame(undefined, 1)).toBeUndefined();
    expect(callerFrame('garbage\nno frames here', 0)).toBeUndefined();
    expect(ownFile(CHROMIUM)).toBe('http://cdn.test/js/node_im_remote_debug.js');
  });

  it('a real stack from this runtime points at this file', () => {
    const here = callerFrame(new Error().stack, 0);
    expect(here?.file).toMatch(/hook-call-site\.test\.ts$/);
    expect(here?.line).toBeGreaterThan(0);
  });

  it('formats frames back to V8 text', () => {
    expect(formatFrames(parseStack(CHROMIUM).slice(1, 3))).toBe(
      '    at render (http://app.test/static/app.js:10:15)\n    at new Widget (http://app.test/static/app.js:20:3)',
    );
  });
});

describe('stacks through source maps (viewers)', () => {
  // Stands in for a source map of app.js only: line n → src/app.ts line n*10.
  const map = (f: StackFrame): StackFrame | undefined =>
    f.file === 'http://app.test/static/app.js' ? { file: 'src/app.ts', line: f.line * 10, col: f.col + 1, ...(f.line === 10 ? { fn: 'renderCart' } : {}) } : undefined;

  it('rewrites the frames a map knows, V8-style, and keeps every other line as it is', () => {
    const out = mapStackText(CHROMIUM, map)!.split('\n');
    expect(out[0]).toBe('Error: boom');
    expect(out[1]).toBe('    at wrapper (http://cdn.test/js/node_im_remote_debug.js:1:2345)');
    expect(out[2]).toBe('    at renderCart (src/app.ts:100:16)');
    expect(out[3]).toBe('    at new Widget (src/app.ts:200:4)');
    expect(out[5]).toBe('    at src/app.ts:400:2');
    expect(out[6]).toBe('    at Array.forEach (<anonymous>)');
    expect(out).toHaveLength(CHROMIUM.split('\n').length);
  });

  it('maps Firefox and Safari frames too, and says undefined when no frame was mapped', () => {
    expect(mapStackText(FIREFOX, map)!.split('\n')[1]).toBe('    at renderCart (src/app.ts:100:16)');
    expect(mapStackText(SAFARI, map)!.split('\n')[4]).toBe('    at src/app.ts:400:2');
    expect(mapStackText(CHROMIUM, () => undefined)).toBeUndefined();
    expect(mapStackText('not a stack', map)).toBeUndefined();
  });

  it('lists the scripts of a stack once each', () => {
    expect(stackFiles(SAFARI)).toEqual(['http://cdn.test/js/node_im_remote_debug.js', 'http://app.test/static/app.js', 'http://app.test/page.html', 'http://app.test/mod.js']);
  });
});
