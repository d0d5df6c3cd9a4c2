// The room panel: renders the room's state for today and asks for it again every few seconds,
// so a meeting going live, its attendee count and the next booking show without a reload.
(function () {
  'use strict';
  var root = document.getElementById('panel');
  if (!root) return;
  var url = root.getAttribute('data-state-url');
  var every = Number(root.getAttribute('data-refresh-ms')) || 5000;
  var $ = function (id) { return document.getElementById(id); };

  function text(id, value) { $(id).textContent = value == null ? '' : String(value); }

  function render(s) {
    root.classList.toggle('busy', !!s.busy);
    root.setAttribute('data-busy', s.busy ? '1' : '0');
    text('panel-clock', s.now);
    text('panel-headline', s.headline);
    text('panel-until', s.until);
    var cur = s.current;
    $('panel-current').hidden = !cur;
    if (cur) {
      text('panel-current-title', cur.title);
      text('panel-current-time', cur.time);
      text('panel-current-host', cur.host);
      text('panel-current-status', cur.statusText);
      $('panel-current-status').setAttribute('data-status', cur.status);
      text('panel-current-attendees', cur.attendees);
    }
    text('panel-next', s.next ? s.next.time + '  ' + s.next.title : '—');
    var list = $('panel-today');
    list.textContent = '';
    (s.today || []).forEach(function (m) {
      var li = document.createElement('li');
      li.setAttribute('data-testid', 'panel-item');
      li.setAttribute('data-status', m.status);
      var time = document.createElement('span');
      time.className = 'panel-time';
      time.textContent = m.time;
      var title = document.createElement('span');
      title.className = 'panel-title';
      title.textContent = m.title;
      var chip = document.createElement('span');
      chip.className = 'chip';
      chip.setAttribute('data-status', m.status);
      chip.textContent = m.statusText;
      li.appendChild(time);
      li.appendChild(title);
      li.appendChild(chip);
      list.appendChild(li);
    });
    $('panel-nothing').hidden = (s.today || []).length > 0;
  }

  function poll() {
    fetch(url, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) render(s); })
      .catch(function () { /* offline for a moment: keep showing the last state */ })
      .then(function () { setTimeout(poll, every); });
  }

  try { render(JSON.parse($('panel-initial').textContent)); } catch (e) { /* the poll renders */ }
  setTimeout(poll, every);
})();
