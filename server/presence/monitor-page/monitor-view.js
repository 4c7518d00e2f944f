// The presence monitor's view: DOM helpers and rendering of the state monitor.js keeps.
// Every user-supplied string (names, titles, URLs, user agents) is set with textContent only.
// A classic script (no build step): it hangs its functions on window.PresenceMonitor.view,
// which monitor.js, loaded after it, reads.
(function () {
  'use strict';

  var el = function (id) { return document.getElementById(id); };

  function node(tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = String(text);
    if (cls) n.className = cls;
    return n;
  }

  function time(ms) {
    var t = node('time', new Date(ms).toLocaleTimeString());
    t.dateTime = new Date(ms).toISOString();
    return t;
  }

  function setStatus(text, kind) {
    var s = el('status');
    s.textContent = text;
    s.className = 'status ' + kind;
  }

  function setNotice(text) {
    var n = el('notice');
    n.textContent = text;
    n.hidden = !text;
  }

  function who(state, userid) {
    var name = state.names.get(userid);
    return name !== undefined ? name + ' (' + userid + ')' : userid;
  }

  function users(state, room) {
    var byUser = new Map();
    state.connections.forEach(function (c) {
      if (room && c.rooms.indexOf(room) < 0) return;
      var u = byUser.get(c.userid);
      if (!u) {
        u = { userid: c.userid, username: c.username, since: c.since, connections: 0, rooms: [], page: null, client: null };
        byUser.set(c.userid, u);
      }
      u.connections++;
      if (c.since < u.since) u.since = c.since;
      c.rooms.forEach(function (r) { if (u.rooms.indexOf(r) < 0) u.rooms.push(r); });
      if (c.page && (!u.page || c.page.at >= u.page.at)) u.page = c.page;
      if (c.client) u.client = c.client;
    });
    return Array.from(byUser.values()).sort(function (a, b) { return a.since - b.since; });
  }

  function browser(client) {
    if (!client) return '';
    var parts = [];
    if (client.language) parts.push(client.language);
    if (client.timeZone) parts.push(client.timeZone);
    if (client.screen) parts.push('screen ' + client.screen.width + '×' + client.screen.height);
    if (client.viewport) parts.push('viewport ' + client.viewport.width + '×' + client.viewport.height);
    return parts.join(' · ');
  }

  /** Draws the summary, the online table and both feeds from the state, all anew. */
  function render(state) {
    var room = el('room-filter').value.trim();
    var list = users(state, room);
    var total = 0;
    list.forEach(function (u) { total += u.connections; });
    el('count-users').textContent = String(list.length);
    el('count-connections').textContent = String(total);
    el('count-views').textContent = String(state.views.length);

    var body = document.createElement('tbody');
    list.forEach(function (u) {
      var tr = document.createElement('tr');
      tr.dataset.userid = u.userid;
      var name = node('td');
      name.appendChild(node('span', u.username, 'username'));
      name.appendChild(document.createElement('br'));
      name.appendChild(node('small', u.userid));
      tr.appendChild(name);
      tr.appendChild(node('td', u.connections, 'connections'));
      var since = node('td');
      since.appendChild(time(u.since));
      tr.appendChild(since);
      var page = node('td', null, 'page');
      if (u.page) {
        page.appendChild(node('span', u.page.title || '(no title)', 'title'));
        page.appendChild(document.createElement('br'));
        page.appendChild(node('small', u.page.url, 'url'));
      }
      tr.appendChild(page);
      var b = node('td', browser(u.client), 'browser');
      if (u.client && u.client.userAgent) b.title = u.client.userAgent;
      tr.appendChild(b);
      tr.appendChild(node('td', u.rooms.join(', '), 'rooms'));
      body.appendChild(tr);
    });
    var table = el('online');
    table.replaceChild(body, table.tBodies[0]);
    el('online-empty').hidden = list.length > 0;

    var views = document.createElement('ol');
    views.id = 'views';
    views.className = 'feed';
    state.views.forEach(function (v) {
      var li = node('li');
      li.appendChild(time(v.at));
      li.appendChild(node('b', who(state, v.userid)));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(node('span', v.title || '(no title)', 'title'));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(node('small', v.url + (v.nav ? ' · ' + v.nav : ''), 'url'));
      views.appendChild(li);
    });
    el('views').replaceWith(views);

    var events = document.createElement('ol');
    events.id = 'events';
    events.className = 'feed';
    state.events.forEach(function (e) {
      var li = node('li', null, e.kind);
      li.appendChild(time(e.at));
      li.appendChild(document.createTextNode(e.text));
      events.appendChild(li);
    });
    el('events').replaceWith(events);
  }

  var ns = (window.PresenceMonitor = window.PresenceMonitor || {});
  ns.view = { el: el, setStatus: setStatus, setNotice: setNotice, render: render };
})();
