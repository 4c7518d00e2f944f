import { legacyNotifySign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';

export interface NotifyResponse {
  status: number;
  body: { code: number; msg: string; data: unknown; error?: string };
}

/** Posts a form-encoded body (what PHP's http_build_query and jQuery send). */
export async function postForm(base: string, fields: Record<string, string>, path = '/api/notify'): Promise<NotifyResponse> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: (await res.json()) as NotifyResponse['body'] };
}

/** A correctly signed notify body for a demo source. */
export function signedNotify(roomId: string, data: string, source = 'demo', extra: Record<string, string> = {}) {
  const key = (DEMO_SOURCES as Record<string, { signKey: string }>)[source]!.signKey;
  return { source, room_id: roomId, data, sign: legacyNotifySign(source, roomId, data, key), ...extra };
}
