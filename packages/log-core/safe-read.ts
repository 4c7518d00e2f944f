/**
 * Reading a value the page or the app made without letting it throw: getters, Proxies and a
 * hostile `toString` or `Symbol.toStringTag` are met with a fallback, never an exception.
 */

export function errorMessage(err: unknown): string {
  try {
    if (err instanceof Error) return `${err.name}: ${err.message}`;
    return String(err);
  } catch {
    return 'unprintable exception';
  }
}

/** The internal [[Class]]: safe for Proxies and objects with a hostile Symbol.toStringTag. */
export function tagOf(value: object): string {
  try {
    return Object.prototype.toString.call(value).slice(8, -1);
  } catch {
    return 'Object';
  }
}

export function ctorName(value: object): string {
  try {
    const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
    if (proto === null) return 'Object';
    const name = proto.constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'Object';
  } catch {
    return 'Object';
  }
}

export function isEventLike(value: object): value is Event {
  try {
    const e = value as Partial<Event>;
    return typeof e.type === 'string' && typeof e.preventDefault === 'function' && 'target' in e;
  } catch {
    return false;
  }
}

/** One property read, with throwing getters turned into a tag. */
export function read(obj: object, key: PropertyKey): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: (obj as Record<PropertyKey, unknown>)[key] };
  } catch (err) {
    return { ok: false, message: errorMessage(err) };
  }
}

export function keyPath(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}
