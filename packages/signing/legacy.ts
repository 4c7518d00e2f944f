import { md5Hex } from './md5';

/** The contract's connect sign: md5(source + room_ids + sign_key), room_ids exactly as sent. */
export function legacyConnectSign(source: string, roomIds: string, signKey: string): string {
  return md5Hex(source + roomIds + signKey);
}

/** The contract's notify sign: md5(source + room_id + data + sign_key), each exactly as sent. */
export function legacyNotifySign(source: string, roomId: string, data: string, signKey: string): string {
  return md5Hex(source + roomId + data + signKey);
}
