import type { LogLevel } from '../../packages/protocol';

/** Ink/chalk colour names. */
export type ColorName =
  | 'gray' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'white'
  | 'redBright' | 'greenBright' | 'yellowBright' | 'blueBright' | 'magentaBright' | 'cyanBright';

export const LEVEL_COLOR: Readonly<Record<LogLevel, ColorName | undefined>> = {
  debug: 'gray',
  log: undefined,
  info: 'cyan',
  warn: 'yellow',
  error: 'red',
};

export const LEVEL_BADGE: Readonly<Record<LogLevel, string>> = {
  debug: 'DBG',
  log: 'LOG',
  info: 'INF',
  warn: 'WRN',
  error: 'ERR',
};

const SESSION_PALETTE: readonly ColorName[] = [
  'cyan', 'green', 'magenta', 'blue', 'yellow', 'cyanBright', 'greenBright', 'magentaBright', 'blueBright', 'yellowBright', 'redBright',
];

/** FNV-1a: the same session gets the same colour in every run and every viewer. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function sessionColor(session: string): ColorName {
  return SESSION_PALETTE[hash(session) % SESSION_PALETTE.length]!;
}

/** Sessions are long ids; the first characters tell tabs apart. */
export function shortSession(session: string, length = 8): string {
  return session.length <= length ? session : session.slice(0, length);
}
