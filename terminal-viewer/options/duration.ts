import { ImError } from '../../packages/protocol';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since`: a duration back from now (`90s`, `5m`, `2h`, `1d`, `1h30m`) or a date-time
 * (`2026-11-26T10:00:00Z`). Returns ms since the epoch.
 */
export function parseSince(raw: string, now: number): number {
  const text = raw.trim();
  if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(text)) {
    let total = 0;
    for (const [, value, , unit] of text.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d)/g)) total += Number(value) * UNITS[unit!]!;
    return now - total;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return at;
  }
  throw new ImError('INVALID_PARAMETER', `--since ${JSON.stringify(raw)}: give a duration such as 30s, 5m, 2h, 1d or a date such as 2026-11-26T10:00:00Z`);
}

export function parsePositiveInt(raw: string, name: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new ImError('INVALID_PARAMETER', `${name} must be a positive whole number, got ${JSON.stringify(raw)}`);
  }
  return n;
}
