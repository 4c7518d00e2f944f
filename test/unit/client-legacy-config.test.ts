import { describe, expect, it, vi } from 'vitest';
import { legacyToClientOptions } from '../../packages/client/legacy-config';

describe('XIN_NODE.init config → client options', () => {
  it('maps the seed keys', () => {
    const receive = () => undefined;
    const failed = () => undefined;
    const o = legacyToClientOptions({
      receive_message_callback: receive,
      max_attemptNumber: 4,
      reconnect_attempt_failed_callback: failed,
    });
    expect(o.onMessage).toBe(receive);
    expect(o.onReconnectFailed).toBe(failed);
    expect(o.maxReconnectAttempts).toBe(4);
    expect(o.reloadOnRefresh).toBe(true);
  });

  it('hands errors to sys_error_callback as (message, detail), as the original passed a string', () => {
    const sysError = vi.fn();
    legacyToClientOptions({ sys_error_callback: sysError }).onError!({ kind: 'handshake', code: 'BAD_SIGN', message: 'sign verify failed!' });
    expect(sysError).toHaveBeenCalledWith('sign verify failed!', { kind: 'handshake', code: 'BAD_SIGN', message: 'sign verify failed!' });
  });

  it('without sys_error_callback logs to console.error (never alert)', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    legacyToClientOptions(undefined).onError!({ kind: 'server', message: 'boom' });
    expect(spy).toHaveBeenCalledWith('[NODE_IM] boom');
    spy.mockRestore();
  });

  it('passes connected_callback the socket only', () => {
    const connected = vi.fn();
    legacyToClientOptions({ connected_callback: connected }).onConnect!({} as never, { reconnect: true, recovered: false });
    expect(connected).toHaveBeenCalledWith({});
    expect(connected.mock.calls[0]).toHaveLength(1);
  });

  it('tolerates what old pages pass: strings for numbers, junk types, no config at all', () => {
    expect(legacyToClientOptions({ max_attemptNumber: '3' }).maxReconnectAttempts).toBe(3);
    expect(legacyToClientOptions({ max_attemptNumber: 'lots' }).maxReconnectAttempts).toBeUndefined();
    expect(legacyToClientOptions({ max_attemptNumber: 0 }).maxReconnectAttempts).toBeUndefined();
    expect(legacyToClientOptions({ max_attemptNumber: Infinity }).maxReconnectAttempts).toBe(Infinity);
    expect(legacyToClientOptions({ receive_message_callback: 'nope' }).onMessage).toBeUndefined();
    expect(legacyToClientOptions(null).maxReconnectAttempts).toBeUndefined();
    expect(legacyToClientOptions('x').onMessage).toBeUndefined();
  });

  it('maps the additions', () => {
    const o = legacyToClientOptions({
      refresh_page: false,
      reconnection_delay: 50,
      reconnection_delay_max: 100,
      queue_size: 7,
      ack_timeout: 2000,
      catch_up: false,
      client_info: false,
      page_views: false,
    });
    expect(o).toMatchObject({
      reloadOnRefresh: false,
      reconnectionDelay: 50,
      reconnectionDelayMax: 100,
      queueSize: 7,
      ackTimeout: 2000,
      catchUp: false,
      clientInfo: false,
      pageViews: false,
    });
  });
});
