// The live presence monitor. It reads /api/presence/stream (server-sent events, read with
// fetch so the admin key can travel as a header) and keeps the state; monitor-view.js (loaded
// first, window.PresenceMonitor.view) renders it with textContent only: every user-supplied
// string (names, titles, URLs, user agents) stays text.
(function () {
  'use strict';

  var view = window.PresenceMonitor.view;
  var el = view.el;
  var setStatus = view.setStatus;
  var setNotice = view.setNotice;

  var MAX_VIEWS = 200;
  var MAX_EVENTS = 200;
  var RETRY_MS = 2000;

  var state = {
    connections: new Map(), // sid -> PresenceConnection
    views: [], // newest first
    events: [], // newest first
    names: new Map(), // userid -> username (kept after they leave, for the feeds)
  };
  var creds = null;
  var controller = null;
  var retryTimer = null;
  var renderQueued = false;

  // ---- credentials: the fragment (#source=&ts=&sign=, #admin_key=), which browsers never send;
  // the query (?source=&ts=&sign=) of older links is read too and moved into the fragment.
  function readCredentials() {
    var q = new URLSearchParams(location.search);
    var h = new URLSearchParams(location.hash.slice(1));
    var get = function (k) { return h.get(k) || q.get(k) || ''; };
    el('f-source').value = get('source');
    el('f-ts').value = get('ts');
    el('f-sign').value = get('sign');
    el('f-admin').value = h.get('admin_key') || '';
    if (h.get('room')) el('room-filter').value = h.get('room');
    if (h.get('admin_key') || q.get('sign') || q.get('ts')) keepInAddress(formCredentials());
  }

  /** The address keeps source, ts and sign in the fragment (for a reload); never the admin key. */
  function keepInAddress(c) {
    var f = new URLSearchParams();
    if (c.source) f.set('source', c.source);
    if (!c.adminKey && c.sign) {
      f.set('ts', c.ts);
      f.set('sign', c.sign);
    }
    var room = el('room-filter').value.trim();
    if (room) f.set('room', room);
    var fragment = f.toString();
    history.replaceState(null, '', location.pathname + (fragment ? '#' + fragment : ''));
  }

  /** The command that makes a fresh link for this page. */
  function newLinkCommand() {
    var source = creds && creds.source ? creds.source : 'SOURCE';
    return 'im-debug open monitor --source ' + source + (location.origin !== 'http://127.0.0.1:4000' ? ' --server ' + location.origin : '');
  }

  function signWindowNote(windowSeconds) {
    if (!creds || creds.adminKey || !windowSeconds) return '';
    var ts = Number(creds.ts);
    if (!isFinite(ts)) return '';
    var until = new Date((ts + windowSeconds) * 1000);
    return ' · link valid until ' + until.toLocaleTimeString() + ' (a reload after that needs a new one)';
  }

  function formCredentials() {
    return {
      source: el('f-source').value.trim(),
      ts: el('f-ts').value.trim(),
      sign: el('f-sign').value.trim(),
      adminKey: el('f-admin').value,
    };
  }

  function usable(c) {
    return c.source !== '' && ((c.ts !== '' && c.sign !== '') || c.adminKey !== '');
  }

  // ---- the stream -----------------------------------------------------------------------------
  function connect() {
    clearTimeout(retryTimer);
    if (controller) controller.abort();
    controller = new AbortController();
    var signal = controller.signal;
    var q = new URLSearchParams({ source: creds.source });
    var headers = { Accept: 'text/event-stream' };
    // Secrets travel in headers, never in the URL (proxies and access logs keep URLs).
    if (creds.adminKey) headers.Authorization = 'Bearer ' + creds.adminKey;
    else {
      headers['X-Im-Sign'] = creds.sign;
      headers['X-Im-Ts'] = creds.ts;
    }
    setStatus('connecting…', 'idle');
    fetch('/api/presence/stream?' + q.toString(), { headers: headers, signal: signal, cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) {
          return res.json().then(
            function (body) {
              // Every stream place taken (this source's, or the instance's): one frees up, so retry.
              var busy = body.error === 'TOO_MANY_CONNECTIONS' || body.error === 'UNAVAILABLE';
              throw { fatal: !busy, message: body.msg || ('HTTP ' + res.status), code: body.error };
            },
            function () { throw { fatal: res.status < 500, message: 'HTTP ' + res.status }; }
          );
        }
        return readStream(res.body.getReader(), signal);
      })
      .then(function () { if (!signal.aborted) retry('stream ended'); })
      .catch(function (err) {
        if (signal.aborted) return;
        if (err && err.fatal) {
          refused(err);
          return;
        }
        retry((err && err.message) || 'connection lost');
      });
  }

  /** Says which credential was refused and how to get a new link, not just "not connected". */
  function refused(err) {
    var how = ' Get a new link: ' + newLinkCommand() + ' (or ask your back end for a fresh ts and sign).';
    if (err.code === 'STALE_TIMESTAMP') {
      var ts = Number(creds && creds.ts);
      var at = isFinite(ts) && creds && creds.ts !== '' ? ' (signed at ' + new Date(ts * 1000).toLocaleString() + ')' : '';
      setStatus('link expired: ' + err.message, 'error');
      setNotice('This link has expired' + at + ': an operator sign is accepted only within the server\'s signature window around its ts.' + how);
    } else if (err.code === 'BAD_SIGN') {
      setStatus('refused: ' + err.message, 'error');
      setNotice('The sign was refused: it was not made with the key of source "' + (creds && creds.source) + '" for the monitor action.' + how);
    } else if (err.code === 'SIGN_REQUIRED' || err.code === 'INVALID_PARAMETER') {
      setStatus('refused: ' + err.message, 'error');
      setNotice('The link has no usable sign.' + how);
    } else if (err.code === 'FORBIDDEN' && creds && creds.adminKey) {
      setStatus('refused: ' + err.message, 'error');
      setNotice('The admin key was refused.');
    } else {
      setStatus('refused: ' + err.message, 'error');
    }
  }

  function retry(why) {
    setStatus(why + ', retrying…', 'error');
    retryTimer = setTimeout(connect, RETRY_MS);
  }

  function readStream(reader, signal) {
    var decoder = new TextDecoder();
    var buffer = '';
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done || signal.aborted) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        var cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          var block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          dispatch(block);
        }
        return pump();
      });
    }
    return pump();
  }

  function dispatch(block) {
    var event = 'message';
    var data = [];
    block.split('\n').forEach(function (line) {
      if (line.indexOf('event:') === 0) event = line.slice(6).trim();
      else if (line.indexOf('data:') === 0) data.push(line.slice(5).replace(/^ /, ''));
    });
    if (data.length === 0) return;
    var payload;
    try {
      payload = JSON.parse(data.join('\n'));
    } catch (e) {
      return;
    }
    if (event === 'hello') {
      setStatus('live', 'live');
      setNotice('');
      el('instance').textContent = 'via ' + payload.instance + ' · dead instances drop within ' + Math.round(payload.expiryMs / 1000) + ' s' +
        signWindowNote(payload.signatureWindowSeconds);
    } else if (event === 'snapshot') {
      state.connections.clear();
      payload.connections.forEach(function (c) { remember(c); state.connections.set(c.sid, c); });
      state.views = payload.pageViews.slice(0, MAX_VIEWS);
    } else if (event === 'presence') {
      apply(payload);
    } else if (event === 'failure') {
      setStatus(payload.message, 'error');
    }
    queueRender();
  }

  function remember(c) {
    state.names.set(c.userid, c.username);
  }

  function logEvent(kind, text, at) {
    state.events.unshift({ kind: kind, text: text, at: at });
    if (state.events.length > MAX_EVENTS) state.events.length = MAX_EVENTS;
  }

  function apply(e) {
    switch (e.type) {
      case 'connect':
      case 'update':
        remember(e.connection);
        state.connections.set(e.connection.sid, e.connection);
        break;
      case 'disconnect':
        state.connections.delete(e.sid);
        break;
      case 'pageview': {
        state.views.unshift(e.view);
        if (state.views.length > MAX_VIEWS) state.views.length = MAX_VIEWS;
        var c = state.connections.get(e.sid);
        if (c) c.page = { url: e.view.url, title: e.view.title, at: e.view.at };
        break;
      }
      case 'join':
        state.names.set(e.userid, e.username);
        logEvent('join', e.username + ' (' + e.userid + ') came', e.at);
        break;
      case 'leave':
        logEvent('leave', e.username + ' (' + e.userid + ') left', e.at);
        break;
      case 'instance_down':
        state.connections.forEach(function (conn, sid) {
          if (conn.instance === e.instance) state.connections.delete(sid);
        });
        logEvent('leave', 'instance ' + e.instance + ' stopped; its connections are gone', e.at);
        break;
    }
  }

  // ---- rendering (monitor-view.js draws; this only schedules one draw per frame) ---------------
  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(function () {
      renderQueued = false;
      render();
    });
  }

  function render() {
    view.render(state);
  }

  // ---- start ----------------------------------------------------------------------------------
  el('auth').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var c = formCredentials();
    if (!usable(c)) {
      setStatus('give source with ts and sign, or the admin key', 'error');
      return;
    }
    creds = c;
    // Keep the (expiring, source-bound) sign in the fragment for a reload; never the admin key.
    keepInAddress(c);
    state.connections.clear();
    state.views = [];
    state.events = [];
    connect();
  });
  el('room-filter').addEventListener('input', queueRender);

  readCredentials();
  if (usable(formCredentials())) {
    creds = formCredentials();
    connect();
  }
  render();
})();
