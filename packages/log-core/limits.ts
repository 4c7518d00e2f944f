/** How much of a value the serializer keeps. */

export interface SerializeLimits {
  /** Nesting depth below the argument itself; deeper values become `{ $t: 'depth' }`. */
  maxDepth: number;
  /** Keys per object, items per array/Map/Set/typed array; the rest is one `{ $t: 'more' }`. */
  maxBreadth: number;
  /** Longer strings are cut to this many characters (`{ $t: 'string', value, length }`). */
  maxString: number;
  /** Rough budget, in characters of JSON, for everything serialized in one call. */
  maxBytes: number;
}

export const DEFAULT_SERIALIZE_LIMITS: SerializeLimits = {
  maxDepth: 6,
  maxBreadth: 100,
  maxString: 8000,
  maxBytes: 24_000,
};
