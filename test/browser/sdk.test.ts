import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { legacyConnectSign } from '../../packages/signing';
import { postForm, signedNotify } from '../helpers/notify';
import { requireChromium } from '../helpers/requirements';
import { KEY, connectedOn, t, useSdkPages, waitT } from '../helpers/sdk-pages';
import type { TestSite } from '../helpers/site';
import type { TestServer } from '../helpers/start-server';
import { seedDisplayPage } from './remote-debug-fixtures';

// The bundles as served, md5.js, and the seed's front-end snippets verbatim. The examples/ pages:
// sdk-examples.test.ts; errors and reconnects: sdk-errors-reconnect.test.ts.

const enabled = requireChromium();
const sdk = useSdkPages(enabled);
const { open, servePage, sdkPage } = sdk;
let relay: TestServer;
let site: TestSite;
beforeAll(() => {
  relay = sdk.relay;
  site = sdk.site;
});

describe.runIf(enabled)('browser SDK in real Chromium', () => {
  it('serves md5.js and node_im.min.js with script type and cache headers; one object under both names', async () => {
    for (const name of ['md5.js', 'node_im.min.js']) {
      const res = await fetch(`${relay.url}/js/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(res.headers.get('etag')).toBeTruthy();
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    }
    const p = await open(sdkPage('names.html', relay, '7', 'names_room'));
    await waitT(p.page, 't.connects === 1');
    const facts = await p.page.evaluate(() => {
      const w = window as unknown as { XIN_NODE: { init(u: string, c: object): boolean }; NODE_IM: unknown; started: boolean };
      return { same: w.XIN_NODE === w.NODE_IM, first: w.started, again: w.XIN_NODE.init(location.href, {}) };
    });
    expect(facts).toEqual({ same: true, first: true, again: false });
    expect(p.errors).toEqual([]);
  });

  it('md5.js in the browser agrees with node:crypto (ASCII, Chinese, emoji, long text)', async () => {
    const p = await open(servePage('md5.html', '<!doctype html><meta charset="utf-8"><script src="js/md5.js"></script>'));
    const inputs = ['', 'demoroom1try4dfs%#fs!#$2334ds(%B)', '退出群聊', '😀🎉 emoji', 'x'.repeat(100_000), '\ud800 lone'];
    const hashes = await p.page.evaluate((list) => list.map((s) => (window as unknown as { md5(s: string): string }).md5(s)), inputs);
    expect(hashes).toEqual(inputs.map((s) => createHash('md5').update(s, 'utf8').digest('hex')));
  });

  it("the seed's front-end snippets, verbatim, receive a back end's notify", async () => {
    // The seed's step 2 URL (host, port, source and its sign differ: the seed's xxx_system key is unknown).
    const rooms = 'receive_repeat_verify_1305,wait_repeat_verify_list';
    const socket_server_url = `${relay.url}?userid=1305&username=spring&source=demo&room_ids=receive_repeat_verify_1305%2Cwait_repeat_verify_list&sign=${legacyConnectSign('demo', rooms, KEY)}&ext_info=`;
    const p = await open(
      servePage(
        'seed-receive.html',
        `<!doctype html>
<script src="js/md5.js"></script>
<script src="js/node_im.min.js"></script>
<script>
var socket_server_url = "${socket_server_url}";
         var node_callback_config = {
                 'receive_message_callback': function(message){
                        console.log(message);
                 }
         };
         XIN_NODE.init(socket_server_url, node_callback_config);
</script>`,
      ),
    );
    await connectedOn(relay, '1305');
    const data = '{"factory_count":47,"cover_city_count":14}';
    expect((await postForm(relay.url, signedNotify('wait_repeat_verify_list', data))).body.code).toBe(1);
    const message = await p.logged((v) => (v as { data?: unknown })?.data === data);
    expect(message).toMatchObject({ source: 'demo', data, room_id: 'wait_repeat_verify_list' });
    expect(p.errors).toEqual([]);
  });

  it("the seed's remote-debug display page, verbatim (jQuery served locally), shows each message", async () => {
    const p = await open(servePage('seed-display.html', seedDisplayPage(relay.url, '/jquery.min.js')));
    await connectedOn(relay, '0000');
    const res = await postForm(relay.url, signedNotify('console-log', '{"width":1280,"height":720}', 'remote_debug'));
    expect(res.body.code).toBe(1);
    await p.page.waitForFunction(() => document.querySelectorAll('#messages li').length === 1);
    const shown = JSON.parse(await p.page.locator('#messages li').first().innerText());
    expect(shown).toMatchObject({ source: 'remote_debug', room_id: 'console-log', data: '{"width":1280,"height":720}' });
  });

  it("the seed's jQuery $.post demo, cross-origin, reaches another page", async () => {
    const receiver = await open(sdkPage('room3.html', relay, '33', 'room3'));
    await waitT(receiver.page, 't.connects === 1');
    const poster = await open(
      servePage(
        'seed-post.html',
        `<!doctype html>
<script src="js/md5.js"></script>
<script src="/jquery.min.js"></script>
<script>
var source = "demo";
var sign_key = "try4dfs%#fs!#$2334ds(%B)";
var room_ids = "room1,room2,room3,room4";
var api_url = "${relay.url}/api/notify";
var send_data = "test";
var send_sign = md5(source + room_ids + send_data + sign_key);
//推送的消息
var message = {
"source":source,
"data":send_data,
"sign":send_sign,
"room_id":room_ids
};
$.post(api_url,message,function(res){
console.log(res);
},"json");
</script>`,
      ),
    );
    expect(new URL(site.url).origin).not.toBe(new URL(relay.url).origin);
    expect(await poster.logged((v) => typeof v === 'object' && v !== null && 'code' in v)).toEqual({
      code: 1,
      msg: 'message notify successed!',
      data: '',
    });
    await waitT(receiver.page, 't.received.length === 1');
    expect((await t(receiver.page)).received).toEqual(['test']);
    expect(poster.errors).toEqual([]);
  });
});
