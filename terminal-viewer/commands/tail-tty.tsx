import { render } from 'ink';
import { App } from '../components/App';
import type { CliIo } from './io';
import { refusalText } from '../options/connection';
import { openStream, type TailSettings } from './tail-settings';

// The alternate screen (as less and vim use): the viewer gets the whole terminal and the
// shell's scrollback is back as it was on quit.
const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?1049l';

/** The interactive viewer on a terminal; resolves with the exit code when the user quits. */
export async function runInteractiveTail(s: TailSettings, io: CliIo): Promise<number> {
  for (const n of s.notices) io.stderr.write(`im-debug: ${n.text}\n`);
  const stream = openStream(s);
  io.stdout.write(ENTER_ALT_SCREEN);
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    io.stdout.write(LEAVE_ALT_SCREEN);
  };
  process.once('exit', leave);
  const instance = render(
    <App
      stream={stream}
      server={s.server}
      source={s.source}
      rooms={s.rooms}
      init={{
        bufferSize: s.bufferSize,
        filter: { level: s.level, text: s.grep, regex: true, session: s.session ?? null, network: s.network },
        notices: s.notices,
        at: Date.now(),
      }}
    />,
    {
      stdout: io.stdout,
      stdin: io.stdin,
      stderr: io.stderr,
      exitOnCtrlC: false,
      patchConsole: true,
      maxFps: 30,
    },
  );
  const onSignal = () => instance.unmount();
  let code = 0;
  io.signals.on('SIGINT', onSignal);
  io.signals.on('SIGTERM', onSignal);
  try {
    await instance.waitUntilExit();
  } finally {
    io.signals.off('SIGINT', onSignal);
    io.signals.off('SIGTERM', onSignal);
    const status = stream.status;
    stream.close();
    leave();
    if (status.state === 'error') {
      io.stderr.write(refusalText(s, status.message, status.code));
      code = 2;
    }
  }
  return code;
}
