import { SERIALIZED_TAGS, type SerializedTag } from './log-entry';

/**
 * Text forms of serialized values shared by both viewers (the /debug page and `im-debug`):
 * one place decides how a `$t` leaf reads. Containers (Map, Set, Error, ...) are laid out by
 * each viewer in its own medium.
 */

const TAGS: ReadonlySet<string> = new Set(SERIALIZED_TAGS);

export type Tagged = { $t: SerializedTag } & Record<string, unknown>;

/** A value the serializer tagged (a user's own `$t` key travels as `$$t`, so it is never one). */
export function isTagged(value: unknown): value is Tagged {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { $t?: unknown }).$t === 'string' &&
    TAGS.has((value as { $t: string }).$t)
  );
}

function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

/** One-line text of a leaf tag (`NaN`, `12n`, `/a/g`, `<div#app>`, `[Circular $.a]`, ...); undefined for containers. */
export function leafText(v: Tagged): string | undefined {
  switch (v.$t) {
    case 'undefined':
    case 'NaN':
    case 'Infinity':
    case '-Infinity':
    case '-0':
      return v.$t;
    case 'bigint':
      return `${str(v.value, '?')}n`;
    case 'symbol':
      return `Symbol(${str(v.description)})`;
    case 'function':
      return `ƒ ${str(v.name) || 'anonymous'}()`;
    case 'Date':
      return str(v.iso, 'Invalid Date');
    case 'RegExp':
      return `/${str(v.source)}/${str(v.flags)}`;
    case 'node':
      return `<${str(v.summary, 'node')}>`;
    case 'circular':
      return v.path ? `[Circular ${str(v.path)}]` : '[Circular]';
    case 'depth':
      return `[${str(v.ctor, 'Object')}]`;
    case 'more':
      return `… ${typeof v.count === 'number' ? v.count : '?'} more`;
    case 'thrown':
      return `[Thrown: ${str(v.message)}]`;
    default:
      return undefined;
  }
}
