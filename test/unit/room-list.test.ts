import { describe, expect, it } from 'vitest';
import { ImError, parseLogFilename, parseRoomList, singleField } from '../../packages/protocol';
import { roomKey } from '../../server/core/rooms';

const opts = { max: 3, emptyMessage: 'room_ids can not be null!' };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as ImError).code;
  }
  return undefined;
}

describe('parseRoomList', () => {
  it('splits, trims, drops blanks and duplicates', () => {
    expect(parseRoomList(' r1, r2,,r1 ', opts)).toEqual(['r1', 'r2']);
    expect(parseRoomList('房间-1', opts)).toEqual(['房间-1']);
  });

  it('refuses empty lists, too many rooms and odd characters', () => {
    expect(() => parseRoomList(' , ', opts)).toThrow('room_ids can not be null!');
    expect(codeOf(() => parseRoomList('a,b,c,d', opts))).toBe('TOO_MANY_ROOMS');
    expect(codeOf(() => parseRoomList('a b', opts))).toBe('INVALID_ROOM');
    expect(codeOf(() => parseRoomList('a\u0000', opts))).toBe('INVALID_ROOM');
    expect(codeOf(() => parseRoomList('x'.repeat(200), opts))).toBe('INVALID_ROOM');
  });
});

describe('parseLogFilename', () => {
  it('defaults to msg.log and keeps plain names', () => {
    expect(parseLogFilename('')).toBe('msg.log');
    expect(parseLogFilename('test.log')).toBe('test.log');
  });

  it.each(['../x', '..', 'a/b', 'a\\b', '/etc/passwd', '.hidden', 'a..b', 'a%2fb', 'a\u0000b', 'x'.repeat(101), 'ü.log'])(
    'refuses %j',
    (name) => {
      expect(codeOf(() => parseLogFilename(name))).toBe('INVALID_FILENAME');
    },
  );
});

describe('roomKey', () => {
  it('never lets two sources meet', () => {
    expect(roomKey('ab', 'c')).not.toBe(roomKey('a', 'bc'));
  });
});

describe('singleField', () => {
  it('takes strings and scalars, refuses repeated or nested fields', () => {
    expect(singleField(undefined, 'x')).toBe('');
    expect(singleField('a', 'x')).toBe('a');
    expect(singleField(12, 'x')).toBe('12');
    expect(codeOf(() => singleField(['a', 'b'], 'source'))).toBe('INVALID_PARAMETER');
    expect(codeOf(() => singleField({ a: 1 }, 'source'))).toBe('INVALID_PARAMETER');
  });
});
