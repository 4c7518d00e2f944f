/**
 * Terminal safety: every string from a remote page or back end that reaches the viewer's
 * terminal goes through `sanitize` or `sanitizeLine`, so it can never send escape sequences.
 */

// C0 and C1 control characters (ESC, CSI 0x9b, BEL, ...) except tab and newline.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Makes text safe for a terminal: control characters become visible `\xHH` escapes. */
export function sanitize(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One line: newlines and tabs become visible marks. */
export function sanitizeLine(text: string): string {
  return sanitize(text).replace(/\r?\n/g, '↵').replace(/\t/g, '  ');
}
