import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function md5Hex(input: string): string {
  return createHash('md5').update(input, 'utf8').digest('hex');
}

export function hmacSha256Hex(key: string, input: string): string {
  return createHmac('sha256', key).update(input, 'utf8').digest('hex');
}

/**
 * Constant-time equality of two secrets (keys, tokens): both sides are hashed to 32 bytes first,
 * so neither the content nor the length of the expected value shows in the timing.
 */
export function secretsEqual(expected: string, received: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(received, 'utf8').digest();
  // Equal digests of different strings would need a SHA-256 collision; the length check is belt and braces.
  return timingSafeEqual(a, b) && expected.length === received.length;
}

/**
 * Compares a received hex sign with the expected one in constant time.
 * Case-insensitive (PHP's md5() is lowercase, some clients upper-case), never throws.
 */
export function signsEqual(expected: string, received: string): boolean {
  return secretsEqual(expected.toLowerCase(), received.toLowerCase());
}
