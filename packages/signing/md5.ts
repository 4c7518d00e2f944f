import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function md5Hex(input: string): string {
  return createHash('md5').update(input, 'utf8').digest('hex');
}

export function hmacSha256Hex(key: string, input: string): string {
  return createHmac('sha256', key).update(input, 'utf8').digest('hex');
}

/**
 * Compares a received hex sign with the expected one in constant time.
 * Case-insensitive (PHP's md5() is lowercase, some clients upper-case), never throws.
 */
export function signsEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  // timingSafeEqual needs equal lengths; compare against itself to keep the timing flat.
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
