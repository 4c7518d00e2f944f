// Fetches scripts and source maps for /debug (debug-viewer/source-maps.ts). The server sends this
// file with a Content-Security-Policy of its own whose connect-src is just the origins the user
// allowed (the ?origin= list), so the browser itself refuses any other: the page's
// connect-src has to stay open for relays, this worker's does not. Plain JS, no build step.
'use strict';
var MAX_CHARS = 20 * 1024 * 1024;
self.onmessage = function (ev) {
  var data = ev.data || {};
  var id = data.id;
  fetch(String(data.url), { credentials: 'omit', redirect: 'error', signal: AbortSignal.timeout(5000) })
    .then(function (res) {
      if (!res.ok) return self.postMessage({ id: id, ok: false, error: 'HTTP ' + res.status });
      return res.text().then(function (text) {
        if (text.length > MAX_CHARS) return self.postMessage({ id: id, ok: false, error: 'too large' });
        self.postMessage({ id: id, ok: true, text: text, sourceMap: res.headers.get('sourcemap') });
      });
    })
    .catch(function (err) {
      self.postMessage({ id: id, ok: false, error: String(err) });
    });
};
