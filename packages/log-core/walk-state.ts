import type { SerializeLimits } from './limits';

/** One serialization's state: its limits, the budget left and the path from the root. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Walk {
  limits: SerializeLimits;
  /** Characters still allowed (roughly the JSON length). */
  budget: number;
  /** The objects on the path from the root to the value being serialized, with their paths. */
  stack: object[];
  paths: string[];
}

/** Serializes a child value (the serializer's own walk, given here so container readers need not import it). */
export type Child = (w: Walk, value: unknown, depth: number, path: string) => Json;

export function truncate(w: Walk, s: string): Json {
  const max = Math.max(0, Math.min(w.limits.maxString, w.budget));
  if (s.length <= max) {
    w.budget -= s.length + 2;
    return s;
  }
  w.budget -= max + 40;
  return { $t: 'string', value: s.slice(0, max), length: s.length };
}
