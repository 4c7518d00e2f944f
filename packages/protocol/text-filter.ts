import { ImError } from './errors';

/**
 * The one filter-text rule of every viewer (/debug, `im-debug tail`, `im-debug mcp`):
 * - `/re/flags` is a regular expression with those flags (`g` and `y` dropped: they make test()
 *   stateful, and a filter must answer the same way every time). When the letters after the last
 *   slash are not flags (`/api/missing`), the text is a path and is searched as text.
 * - Any other text is a case-insensitive substring, or, with `regex` (tail's `--grep`, the
 *   "regex" box of /debug), a regular expression with `regexFlags`.
 */
export interface TextFilterOptions {
  /** Bare text is a regular expression too. */
  regex?: boolean;
  /** Flags of a bare-text expression: '' for `--grep`, 'im' in /debug (case-insensitive, ^/$ per value). */
  regexFlags?: string;
}

export interface TextFilter {
  /** Undefined for '' (every entry passes). */
  pattern?: RegExp;
  /** Said to the user when the text was read otherwise than it may look. */
  note?: string;
}

const SLASHED = /^\/(.*)\/([a-z]*)$/s;
const FLAGS = /^[dgimsuvy]*$/;

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Throws ImError INVALID_PARAMETER `invalid regular expression TEXT: reason` for a broken expression. */
export function compileTextFilter(text: string, opts: TextFilterOptions = {}): TextFilter {
  if (text === '') return {};
  const slashed = SLASHED.exec(text);
  if (slashed && !FLAGS.test(slashed[2]!)) {
    return { pattern: new RegExp(escapeRegExp(text), 'i'), note: `${JSON.stringify(text)} is searched as text ("${slashed[2]}" are not regular expression flags)` };
  }
  try {
    if (slashed) return { pattern: new RegExp(slashed[1]!, slashed[2]!.replace(/[gy]/g, '')) };
    return { pattern: opts.regex ? new RegExp(text, (opts.regexFlags ?? '').replace(/[gy]/g, '')) : new RegExp(escapeRegExp(text), 'i') };
  } catch (err) {
    // V8 says "Invalid regular expression: /src/flags: reason"; the text is said once, as typed.
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '');
    throw new ImError('INVALID_PARAMETER', `invalid regular expression ${text}: ${reason}`);
  }
}
