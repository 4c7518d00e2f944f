/**
 * Parses `Error().stack` text of V8 (Chromium, Node), SpiderMonkey (Firefox) and JavaScriptCore
 * (Safari) into frames, so an entry can say where the page called `console.log`.
 */
export interface StackFrame {
  file: string;
  line: number;
  col: number;
  fn?: string;
}

// V8: "    at fn (file:1:2)", "    at file:1:2", "    at async fn (file:1:2)", "    at new C (file:1:2)".
const V8_FRAME = /^\s*at (?:(.+?) \((.*)\)|(.*))$/;
const LOCATION = /^(.*):(\d+):(\d+)$/;
// SpiderMonkey / JavaScriptCore: "fn@file:1:2", "@file:1:2", "global code@file:1:2".
const GECKO_FRAME = /^\s*(.*?)@(.*):(\d+):(\d+)\s*$/;
// Older JavaScriptCore prints anonymous frames as a bare "file:1:2".
const BARE_FRAME = /^\s*([a-z][\w+.-]*:\/\/.*|\/.*):(\d+):(\d+)\s*$/i;

function cleanFn(fn: string | undefined): string | undefined {
  if (!fn) return undefined;
  const name = fn.replace(/^async /, '').trim();
  if (name === '' || name === '<anonymous>' || name === 'global code' || name === 'module code') return undefined;
  return name.slice(0, 256);
}

function v8Frame(line: string): StackFrame | undefined {
  const m = V8_FRAME.exec(line);
  if (!m) return undefined;
  let fn = m[1];
  let location = (m[2] ?? m[3] ?? '').trim();
  if (m[3] !== undefined) location = location.replace(/^async /, '');
  // eval frames: "eval at outer (http://x/app.js:3:5), <anonymous>:1:1": the outer script is what a reader can open.
  const evalAt = /^eval at [^(]*\((.*?)\)(?:, .*)?$/.exec(location);
  if (evalAt) location = evalAt[1]!;
  const loc = LOCATION.exec(location);
  if (!loc) return undefined;
  if (fn === 'eval' && evalAt) fn = undefined;
  return { file: loc[1]!, line: Number(loc[2]), col: Number(loc[3]), fn: cleanFn(fn) };
}

function geckoFrame(line: string): StackFrame | undefined {
  const m = GECKO_FRAME.exec(line);
  if (m) {
    let file = m[2]!;
    let lineNo = Number(m[3]);
    // Firefox eval: "fn@http://x/app.js line 12 > eval:1:5": point at the line that called eval.
    const evalAt = /^(.*?) line (\d+) > (?:eval|Function|injectedScript)/.exec(file);
    if (evalAt) {
      file = evalAt[1]!;
      lineNo = Number(evalAt[2]);
    }
    // Firefox: "outer/<@file", "fn*@file" (generators); keep the readable part.
    const fn = cleanFn(m[1]!.replace(/\/<+$/, '').replace(/[*<]+$/, ''));
    return { file, line: lineNo, col: evalAt ? 0 : Number(m[4]), fn };
  }
  const b = BARE_FRAME.exec(line);
  if (b) return { file: b[1]!, line: Number(b[2]), col: Number(b[3]) };
  return undefined;
}

/** The frames of a stack text, top first. Lines that are not frames (the "Error: msg" header, native code) are skipped. */
export function parseStack(stack: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const line of stack.split('\n').slice(0, 100)) {
    if (line.length > 4096) continue;
    const frame = /^\s*at /.test(line) ? v8Frame(line) : geckoFrame(line);
    if (frame && frame.file !== 'native' && frame.file !== '<anonymous>') frames.push(frame);
  }
  return frames;
}

/**
 * The caller's frame: `skip` frames (the hook's own wrapper) are dropped from the top, then any
 * frame whose file is one of `ignoreFiles` (the hook script itself, when it is a file of its own).
 */
export function callerFrame(stack: string | undefined, skip: number, ignoreFiles: readonly string[] = []): StackFrame | undefined {
  if (typeof stack !== 'string') return undefined;
  const frames = parseStack(stack).slice(skip);
  return frames.find((f) => !ignoreFiles.includes(f.file));
}

/** The file of the first frame of a stack captured in the caller: how the hook learns its own URL. */
export function ownFile(stack: string | undefined): string | undefined {
  return typeof stack === 'string' ? parseStack(stack)[0]?.file : undefined;
}

/** Up to `max` frames of a stack as text lines, for `console.trace`. */
export function formatFrames(frames: readonly StackFrame[], max = 30): string {
  return frames
    .slice(0, max)
    .map((f) => `    at ${f.fn ? `${f.fn} (${f.file}:${f.line}:${f.col})` : `${f.file}:${f.line}:${f.col}`}`)
    .join('\n');
}

/**
 * A stack text with each frame `map` knows put at its original place (viewers, through source
 * maps): a mapped frame is written V8-style, `at fn (src/app.ts:3:5)`; every other line stays as
 * it is. `undefined` when no frame was mapped, so a caller can keep showing the text as received.
 */
export function mapStackText(stack: string, map: (frame: StackFrame) => StackFrame | undefined): string | undefined {
  let changed = false;
  const lines = stack.split('\n').map((line) => {
    if (line.length > 4096) return line;
    const frame = parseStack(line)[0];
    const mapped = frame && map(frame);
    if (!mapped) return line;
    changed = true;
    const indent = /^\s*/.exec(line)![0] || '    ';
    const fn = mapped.fn ?? frame.fn;
    return `${indent}at ${fn ? `${fn} (${mapped.file}:${mapped.line}:${mapped.col})` : `${mapped.file}:${mapped.line}:${mapped.col}`}`;
  });
  return changed ? lines.join('\n') : undefined;
}

/** The script files a stack text's frames are in, each once (viewers load their source maps). */
export function stackFiles(stack: string): string[] {
  return [...new Set(parseStack(stack).map((f) => f.file))];
}
