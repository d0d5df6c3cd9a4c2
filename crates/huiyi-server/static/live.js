// The browser join page: joins over the live WebSocket, keeps the state the server sends
// current with the changes the server's session fold computed (exactly as
// huiyi_domain::session::LiveState::patch applies them: list edits, no rules), and draws it.
(function () {
  'use strict';

  var cfg = JSON.parse(document.getElementById('huiyi-config').textContent);
  var lang = cfg.lang;
  var $ = function (id) { return document.getElementById(id); };

  function t(key) {
    var table = cfg.texts[lang] || {};
    return table[key] || (cfg.texts.zh || {})[key] || key;
  }
  function fill(text, vars) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in vars ? String(vars[k]) : m; });
  }

  function store(kind, key, value) {
    try {
      var s = kind === 'local' ? window.localStorage : window.sessionStorage;
      if (value === undefined) return s.getItem(key);
      s.setItem(key, value);
    } catch (e) { /* storage may be off (private mode): remember nothing */ }
    return null;
  }

  function clientId() {
    var id = store('session', 'huiyi.clientId');
    if (!id) {
      var bytes = new Uint8Array(12);
      window.crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
      store('session', 'huiyi.clientId', id);
    }
    return id;
  }

  // ---- the state: edited as LiveState::patch does ----

  function emptyState() {
    return { locked: false, ended: false, participants: [], waiting: [], rollCall: null, removed: [] };
  }
  function liveParticipant(p) {
    return {
      id: p.id, name: p.name || '', role: p.role || 'attendee', client: p.client || 'web',
      voice: p.voice || 'network', hand: !!p.hand, tag: p.tag || ''
    };
  }
  function without(list, id) { return list.filter(function (p) { return p.id !== id; }); }
  function find(list, id) {
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i];
    return null;
  }
  // Takes the entry out, then puts it where the server's list has it.
  function place(list, at, value, same) {
    var out = list.filter(function (v) { return !same(v); });
    out.splice(Math.min(at, out.length), 0, value);
    return out;
  }

  function patch(s, changes) {
    (changes || []).forEach(function (c) {
      var id = c.participant ? c.participant.id : c.id;
      var sameId = function (p) { return p.id === id; };
      var isId = function (v) { return v === id; };
      switch (c.op) {
        case 'present': s.participants = place(s.participants, c.at, liveParticipant(c.participant), sameId); break;
        case 'absent': s.participants = without(s.participants, id); break;
        case 'waiting': s.waiting = place(s.waiting, c.at, liveParticipant(c.participant), sameId); break;
        case 'notWaiting': s.waiting = without(s.waiting, id); break;
        case 'removed': s.removed = place(s.removed, c.at, id, isId); break;
        case 'locked': s.locked = !!c.locked; break;
        case 'rollCall': s.rollCall = c.rollCall ? normaliseRollCall(c.rollCall) : null; break;
        case 'answered':
          if (s.rollCall) s.rollCall.answered = place(s.rollCall.answered, c.at, id, isId);
          break;
        case 'ended':
          s.ended = true;
          s.participants = [];
          s.waiting = [];
          break;
        default: break; // an edit this page does not know: the next resync brings it
      }
    });
  }

  // ---- connection ----

  var state = emptyState();
  var you = null;          // {id, name, role} once joined
  var phase = 'idle';      // idle | connecting | waiting | joined | reconnecting | refused | ended | removed | left
  var banner = { key: '', vars: {} };
  var ws = null;
  var joinMsg = null;
  var pinger = null;
  var retryTimer = null;
  var retries = 0;
  var endArmed = false;

  function wsUrl() {
    var proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    return proto + '//' + window.location.host + cfg.wsPath;
  }

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  function setBanner(st, key, vars) {
    phase = st;
    banner = { key: key, vars: vars || {} };
    render();
  }

  function connect() {
    clearTimeout(retryTimer);
    var sock = new WebSocket(wsUrl());
    ws = sock;
    sock.onopen = function () {
      retries = 0;
      sock.send(JSON.stringify(joinMsg));
      clearInterval(pinger);
      pinger = setInterval(function () { send({ type: 'ping' }); }, 5000);
    };
    sock.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.type === 'joined' && msg.pingMs > 0) {
        // The server says how often it wants to hear from us (its heartbeat / 3).
        clearInterval(pinger);
        pinger = setInterval(function () { send({ type: 'ping' }); }, msg.pingMs);
      }
      onMessage(msg);
    };
    sock.onclose = function () {
      if (ws !== sock) return;
      clearInterval(pinger);
      ws = null;
      if (phase === 'joined' || phase === 'waiting' || phase === 'connecting' || phase === 'reconnecting') {
        // A dropped connection (network, server restart): join again with the same clientId.
        var wasWaiting = phase === 'waiting';
        retries += 1;
        if (retries > 8) { setBanner('error', 'live.lost'); return; }
        setBanner(wasWaiting ? 'waiting' : 'reconnecting', wasWaiting ? 'live.waiting' : 'live.reconnecting');
        retryTimer = setTimeout(connect, Math.min(10000, 500 * Math.pow(2, retries)));
      }
    };
  }

  function onMessage(msg) {
    switch (msg.type) {
      case 'joined':
        you = msg.you;
        if (msg.meeting && msg.meeting.title) $('meeting-title').textContent = msg.meeting.title;
        if (msg.waiting) {
          state = emptyState();
          setBanner('waiting', 'live.waiting');
        } else {
          state = normalise(msg.state);
          setBanner('joined', 'live.joined');
        }
        break;
      case 'admitted':
        state = normalise(msg.state);
        setBanner('joined', 'live.joined');
        break;
      case 'resync': // the server's feed fell behind: its stored state replaces ours
        if (phase === 'joined' || phase === 'reconnecting') { state = normalise(msg.state); render(); }
        break;
      case 'error': // a request the server could not carry out; the connection stays
        flash(msg.msg || '');
        break;
      case 'fact':
        patch(state, msg.changes);
        if (state.ended) { finish('ended', 'live.ended'); return; }
        render();
        break;
      case 'refused':
        finish('refused', 'refused.' + msg.reason, { msg: msg.msg || '' });
        break;
      case 'ended':
        state.ended = true;
        state.participants = [];
        state.waiting = [];
        finish('ended', 'live.ended');
        break;
      case 'removed':
        finish('removed', 'refused.removed');
        break;
      default: break; // pong and anything newer
    }
  }

  function normalise(s) {
    s = s || {};
    return {
      locked: !!s.locked,
      ended: !!s.ended,
      participants: (s.participants || []).map(liveParticipant),
      waiting: (s.waiting || []).map(liveParticipant),
      rollCall: s.rollCall ? normaliseRollCall(s.rollCall) : null,
      removed: (s.removed || []).slice()
    };
  }
  function normaliseRollCall(rc) {
    return { id: rc.id, video: !!rc.video, answered: (rc.answered || []).slice() };
  }

  var flashTimer = null;
  function flash(text) {
    var n = $('flash');
    n.textContent = fill(t('live.error'), { msg: text });
    n.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { n.hidden = true; }, 6000);
  }

  // Stops for good (no reconnect): refused, ended, removed, left.
  function finish(st, key, vars) {
    clearInterval(pinger);
    clearTimeout(retryTimer);
    var sock = ws;
    ws = null;
    if (sock) { try { sock.close(); } catch (e) { /* already closing */ } }
    setBanner(st, key, vars);
  }

  // ---- drawing ----

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function button(testid, key, cls, onclick) {
    var b = el('button', { type: 'button', class: 'button ' + (cls || ''), 'data-testid': testid }, t(key));
    b.addEventListener('click', onclick);
    return b;
  }

  function translateStatic() {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    var nodes = document.querySelectorAll('[data-i18n]');
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = t(nodes[i].getAttribute('data-i18n'));
    nodes = document.querySelectorAll('[data-i18n-placeholder]');
    for (i = 0; i < nodes.length; i++) nodes[i].placeholder = t(nodes[i].getAttribute('data-i18n-placeholder'));
    document.title = $('meeting-title').textContent + ' · huiyi';
  }

  function attendeesOf(list) { return list.filter(function (p) { return p.role !== 'host'; }); }

  function render() {
    var b = $('status-banner');
    b.setAttribute('data-state', phase);
    var text = banner.key ? fill(t(banner.key), banner.vars) : '';
    if (phase === 'refused' && text === banner.key) text = fill(t('refused.other'), banner.vars);
    b.textContent = text;

    var inRoom = phase === 'joined' || phase === 'reconnecting';
    var stopped = phase === 'ended' || phase === 'removed';
    $('join-card').hidden = inRoom || phase === 'waiting' || stopped || phase === 'connecting' || phase === 'left';
    $('waiting-card').hidden = phase !== 'waiting';
    $('room').hidden = !inRoom;
    $('rejoin-card').hidden = phase !== 'left';
    if (!inRoom) return;

    var isHost = you && you.role === 'host';
    var me = you && find(state.participants, you.id);

    // Own controls.
    var hand = $('hand-button');
    hand.textContent = t(me && me.hand ? 'live.lowerHand' : 'live.raiseHand');
    hand.setAttribute('aria-pressed', me && me.hand ? 'true' : 'false');
    $('host-tools').hidden = !isHost;
    if (isHost) {
      var lock = $('lock-toggle');
      lock.textContent = t(state.locked ? 'host.unlock' : 'host.lock');
      lock.setAttribute('data-locked', state.locked ? 'true' : 'false');
      $('end-confirm').hidden = !endArmed;
      $('end-button').textContent = t(endArmed ? 'host.endCancel' : 'host.end');
    }
    $('lock-state').textContent = state.locked ? t('live.locked') : '';

    // Roll-call.
    var rc = state.rollCall;
    var rcCard = $('rollcall');
    rcCard.hidden = !rc;
    if (rc) {
      var attendees = attendeesOf(state.participants);
      var answeredHere = attendees.filter(function (p) { return rc.answered.indexOf(p.id) >= 0; }).length;
      $('rollcall-count').textContent = fill(t('rollcall.count'), { answered: answeredHere, total: attendees.length });
      $('rollcall-count').setAttribute('data-answered', String(answeredHere));
      $('rollcall-count').setAttribute('data-total', String(attendees.length));
      var mine = you && rc.answered.indexOf(you.id) >= 0;
      var prompt = !isHost && !mine && !!me;
      $('rollcall-prompt').hidden = !prompt;
      $('rollcall-answer').hidden = !prompt;
      $('rollcall-done').hidden = !(!isHost && mine);
    }

    // People.
    $('participant-count').textContent = String(state.participants.length);
    var list = $('participant-list');
    list.textContent = '';
    state.participants.forEach(function (p) {
      var li = el('li', { 'data-testid': 'participant', 'data-participant-id': p.id, 'data-role': p.role, 'data-hand': p.hand ? 'up' : 'down' });
      li.appendChild(el('span', { class: 'name' }, p.name || t('live.noName')));
      if (p.role === 'host') li.appendChild(el('span', { class: 'badge host' }, t('role.host')));
      if (you && p.id === you.id) li.appendChild(el('span', { class: 'badge you' }, t('live.you')));
      if (p.tag) li.appendChild(el('span', { class: 'badge' }, p.tag));
      if (p.voice === 'phone') li.appendChild(el('span', { class: 'badge' }, t('live.phone')));
      if (rc && rc.answered.indexOf(p.id) >= 0) li.appendChild(el('span', { class: 'badge answered', 'data-testid': 'answered-mark' }, t('rollcall.here')));
      if (p.hand) li.appendChild(el('span', { class: 'badge hand', 'data-testid': 'hand-mark' }, t('live.handUp')));
      if (isHost && p.id !== you.id) {
        li.appendChild(button('remove-button', 'host.remove', 'small danger', function () {
          send({ type: 'remove', participantId: p.id });
        }));
      }
      list.appendChild(li);
    });

    var wl = $('waiting-list');
    wl.textContent = '';
    $('waiting-section').hidden = !isHost || state.waiting.length === 0;
    $('waiting-count').textContent = String(state.waiting.length);
    if (isHost) {
      state.waiting.forEach(function (p) {
        var li = el('li', { 'data-testid': 'waiting-participant', 'data-participant-id': p.id });
        li.appendChild(el('span', { class: 'name' }, p.name || t('live.noName')));
        if (p.tag) li.appendChild(el('span', { class: 'badge' }, p.tag));
        li.appendChild(button('admit-button', 'host.admit', 'small primary', function () {
          send({ type: 'admit', participantId: p.id });
        }));
        li.appendChild(button('reject-button', 'host.remove', 'small danger', function () {
          send({ type: 'remove', participantId: p.id });
        }));
        wl.appendChild(li);
      });
    }
  }

  // ---- wiring ----

  function joinFromForm(ev) {
    ev.preventDefault();
    var name = $('name-input').value.trim();
    if (!name) { setBanner('refused', 'form.nameRequired'); $('name-input').focus(); return; }
    store('local', 'huiyi.name', name);
    joinMsg = { type: 'join', name: name, clientId: clientId() };
    var pcode = $('pcode-input');
    if (pcode) {
      if (!pcode.value.trim()) { setBanner('refused', 'form.pcodeRequired'); pcode.focus(); return; }
      joinMsg.pcode = pcode.value.trim();
    }
    var ww = $('watchword-input');
    if (ww && ww.value.trim()) joinMsg.watchword = ww.value.trim();
    var tag = $('tag-select');
    if (tag) {
      if (!tag.value) { setBanner('refused', 'form.tagRequired'); tag.focus(); return; }
      joinMsg.tag = tag.value;
    }
    state = emptyState();
    retries = 0;
    setBanner('connecting', 'live.connecting');
    connect();
  }

  function leave() {
    send({ type: 'leave' });
    finish('left', 'live.left');
  }

  function toggleLang() {
    lang = lang === 'en' ? 'zh' : 'en';
    // Remembered the way the server reads it, so every later page opens in this language.
    document.cookie = 'huiyi_lang=' + lang + '; Path=/; Max-Age=31536000; SameSite=Lax';
    if (window.URLSearchParams && window.history.replaceState) {
      var q = new URLSearchParams(window.location.search);
      q.set('lang', lang);
      window.history.replaceState(null, '', window.location.pathname + '?' + q.toString());
    }
    translateStatic();
    render();
  }

  $('join-form').addEventListener('submit', joinFromForm);
  $('lang-toggle').addEventListener('click', toggleLang);
  $('hand-button').addEventListener('click', function () {
    var me = you && find(state.participants, you.id);
    send({ type: 'hand', up: !(me && me.hand) });
  });
  $('leave-button').addEventListener('click', leave);
  $('rejoin-button').addEventListener('click', function () {
    state = emptyState();
    retries = 0;
    setBanner('connecting', 'live.connecting');
    connect();
  });
  $('rollcall-answer').addEventListener('click', function () {
    if (state.rollCall) send({ type: 'answer', rollCallId: state.rollCall.id });
  });
  $('lock-toggle').addEventListener('click', function () { send({ type: 'lock', locked: !state.locked }); });
  $('rollcall-start').addEventListener('click', function () { send({ type: 'rollcall' }); });
  $('end-button').addEventListener('click', function () { endArmed = !endArmed; render(); });
  $('end-confirm').addEventListener('click', function () { endArmed = false; send({ type: 'end' }); });
  window.addEventListener('pagehide', function () { if (ws) send({ type: 'leave' }); });

  var nameInput = $('name-input');
  if (!nameInput.value) nameInput.value = store('local', 'huiyi.name') || cfg.name || '';
  translateStatic();
  render();
})();
