import { refusalText } from '../options/connection';
import { createPlainWriter } from '../output/plain-writer';
import { openStream, resolveTailSettings, tailFilter, type TailFlags, type TailSettings } from './tail-settings';
import type { CliIo } from './io';

export { parseRooms, refusalText } from '../options/connection';
export { openStream, resolveTailSettings, tailFilter, type TailFlags, type TailSettings } from './tail-settings';

export function runPlainTail(s: TailSettings, io: CliIo): Promise<number> {
  const err = (text: string) => {
    if (!s.quiet) io.stderr.write(`im-debug: ${text}\n`);
  };
  for (const n of s.notices) err(n.text);
  const writer = createPlainWriter({
    json: s.json,
    filter: tailFilter(s),
    multiRoom: s.rooms.length > 1,
    color: s.color,
    write: (line) => io.stdout.write(line),
  });
  const stream = openStream(s);
  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      stream.close();
      io.signals.off('SIGINT', onSignal);
      io.signals.off('SIGTERM', onSignal);
      io.stdout.off('error', onPipeError);
      resolve(code);
    };
    const onSignal = () => finish(0);
    // `| head` closes the pipe: that is the reader saying "enough", not a failure.
    const onPipeError = (e: NodeJS.ErrnoException) => finish(e.code === 'EPIPE' ? 0 : 1);
    io.signals.on('SIGINT', onSignal);
    io.signals.on('SIGTERM', onSignal);
    io.stdout.on('error', onPipeError);
    const where = `${s.rooms.map((r) => `#${r}`).join(' ')} on ${s.server} (source ${s.source})`;
    let lastStatus = '';
    stream.subscribe({
      messages: (messages) => {
        writer.write(messages);
      },
      notice: (text) => err(text),
      status: (status) => {
        let text = '';
        switch (status.state) {
          case 'connecting':
            text = status.error ? `cannot connect to ${s.server} (attempt ${status.attempt}): ${status.error}` : '';
            break;
          case 'connected':
            if (status.catchingUp) break;
            if (!s.follow) return finish(0);
            text = `following ${where}`;
            break;
          case 'reconnecting':
            text = `reconnecting (attempt ${status.attempt})${status.reason ? `: ${status.reason}` : ''}`;
            break;
          case 'error':
            if (!s.quiet) io.stderr.write(refusalText(s, status.message, status.code));
            return finish(2);
          case 'closed':
            return;
        }
        if (text && text !== lastStatus) err(text);
        lastStatus = text;
      },
    });
  });
}

export async function runTail(flags: TailFlags, io: CliIo): Promise<number> {
  const settings = resolveTailSettings(flags, io);
  if (!settings.interactive) return runPlainTail(settings, io);
  // React's development build is several times slower per render and keeps debug data for
  // each one; the viewer is not a React app under development. Set before React loads.
  process.env.NODE_ENV ??= 'production';
  const { runInteractiveTail } = await import('./tail-tty');
  return runInteractiveTail(settings, io);
}
