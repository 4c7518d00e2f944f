import * as crypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

type OneShotHash = (algorithm: string, data: string, outputEncoding: 'hex' | 'buffer') => string | Buffer;
/**
 * crypto.hash (Node ≥ 20.12): one call instead of a Hash object, update and digest; a notify
 * checks three digests, and they were a tenth of its CPU (bench/: push). Older Node: createHash.
 */
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;
const digestHex = (algorithm: string, input: string): string =>
  oneShot ? (oneShot(algorithm, input, 'hex') as string) : createHash(algorithm).update(input, 'utf8').digest('hex');
const digestBytes = (algorithm: string, input: string): Buffer =>
  oneShot ? (oneShot(algorithm, input, 'buffer') as Buffer) : createHash(algorithm).update(input, 'utf8').digest();

export function md5Hex(input: string): string {
  return digestHex('md5', input);
}

export function hmacSha256Hex(key: string, input: string): string {
  return createHmac('sha256', key).update(input, 'utf8').digest('hex');
}

/**
 * Constant-time equality of two secrets (keys, tokens): both sides are hashed to 32 bytes first,
 * so neither the content nor the length of the expected value shows in the timing.
 */
export function secretsEqual(expected: string, received: string): boolean {
  const a = digestBytes('sha256', expected);
  const b = digestBytes('sha256', received);
  // Equal digests of different strings would need a SHA-256 collision; the length check is belt and braces.
  return timingSafeEqual(a, b) && expected.length === received.length;
}

/**
 * Compares a received hex sign with the expected one in constant time.
 * Case-insensitive (PHP's md5() is lowercase, some clients upper-case), never throws.
 * The expected sign's length is public (32 or 64 hex digits), so unlike secretsEqual the
 * bytes are compared directly, without hashing both sides first.
 */
export function signsEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
