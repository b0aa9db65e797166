const $ = id => document.getElementById(id);
// Off loopback the admin API wants a bearer token: asked for once, kept for this browser tab (sessionStorage).
const tokenKey = 'stickylb-admin-token';
let token = sessionStorage.getItem(tokenKey);
let asking = null;
function askToken(refused) {
  // One form for every call that got a 401 meanwhile; they all retry once it is answered.
  asking ??= new Promise(resolve => {
    const dialog = $('token-dialog');
    $('token-message').textContent = refused ? 'That token was refused; try again.' : 'This admin listener needs its token (STICKYLB_ADMIN_TOKEN).';
    dialog.oncancel = e => e.preventDefault();
    $('token-form').onsubmit = e => {
      e.preventDefault();
      token = $('token').value.trim();
      sessionStorage.setItem(tokenKey, token);
      $('token').value = '';
      dialog.close();
      asking = null;
      resolve();
    };
    dialog.showModal();
    $('token').focus();
  });
  return asking;
}
async function call(method, url, body) {
  const headers = body ? { 'Content-Type': 'application/json' } : {};
  if (token) headers.Authorization = 'Bearer ' + token;
  const response = await fetch(url, { method, headers, body: body && JSON.stringify(body) });
  if (response.status === 401) {
    await askToken(!!headers.Authorization);
    return call(method, url, body);
  }
  const data = await response.json().catch(() => ({}));
  $('error').textContent = response.ok ? '' : (data.detail || data.title || response.statusText);
  return data;
}
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}
function card(b) {
  const running = b.state !== 'stopped';
  const kill = el('button', { class: 'kill', 'data-testid': 'kill-' + b.id }, 'Kill');
  const start = el('button', { 'data-testid': 'start-' + b.id }, 'Start');
  kill.disabled = !running; start.disabled = running;
  kill.onclick = () => call('POST', `/api/backends/${b.id}/kill`).then(refresh);
  start.onclick = () => { start.disabled = true; start.textContent = 'Starting…'; call('POST', `/api/backends/${b.id}/start`).then(refresh); };
  // Drain: the clients pinned here stay, no new one comes; Ready ends it.
  const draining = b.state === 'draining';
  const drain = el('button', { 'data-testid': (draining ? 'ready-' : 'drain-') + b.id }, draining ? 'Ready' : 'Drain');
  drain.disabled = !running;
  drain.onclick = () => call('POST', `/api/backends/${b.id}/${draining ? 'ready' : 'drain'}`).then(refresh);
  const row = (name, value, cls, testid) => [el('dt', {}, name), el('dd', Object.assign({ 'data-testid': testid }, cls ? { class: cls } : {}), String(value))];
  return el('article', { class: 'card', 'data-testid': 'backend-' + b.id, 'aria-label': 'Backend ' + b.id },
    el('h3', {}, 'Backend ' + b.id, el('span', { class: b.health, 'data-testid': 'health-' + b.id }, b.health)),
    el('dl', {},
      ...row('state', b.state, b.state === 'stopped' ? 'stopped' : b.state === 'draining' ? 'draining' : '', 'state-' + b.id),
      ...row('pid', b.pid ?? '–', '', 'pid-' + b.id),
      ...row('sessions', b.sessions, '', 'sessions-' + b.id),
      // WebSockets and event streams open through the gateway to this backend now (a long poll is an ordinary request).
      ...row('live connections', b.connections ?? 0, '', 'connections-' + b.id),
      ...row('memory', b.memoryBytes ? (b.memoryBytes / 1048576).toFixed(0) + ' MB' : '–', '', 'memory-' + b.id),
      ...row('requests', b.requests, '', 'requests-' + b.id),
      ...row('address', b.address, '', 'address-' + b.id)),
    kill, ' ', start, ' ', drain);
}
function chart(recent, ids) {
  const svg = $('traffic'), ns = 'http://www.w3.org/2000/svg', rowHeight = 46, left = 90, width = 660;
  const height = ids.length * rowHeight + 28;
  svg.setAttribute('height', height);
  svg.setAttribute('viewBox', `0 0 ${left + width + 10} ${height}`);
  svg.replaceChildren();
  for (const [x, text, anchor] of [[left, `${recent.length} s ago`, 'start'], [left + width, 'now', 'end']]) {
    const axis = document.createElementNS(ns, 'text');
    axis.setAttribute('x', x); axis.setAttribute('y', height - 4); axis.setAttribute('text-anchor', anchor);
    axis.setAttribute('fill', '#5f6368'); axis.setAttribute('font-size', '12'); axis.textContent = text;
    svg.append(axis);
  }
  const max = Math.max(1, ...recent.flatMap(s => Object.values(s.backends).map(c => c.ok + c.failed + c.rejected)));
  const bar = width / Math.max(1, recent.length);
  ids.forEach((id, row) => {
    const y0 = row * rowHeight + 5;
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', 0); label.setAttribute('y', y0 + 24); label.textContent = 'backend ' + id;
    svg.append(label);
    recent.forEach((second, i) => {
      const c = second.backends[id] || { ok: 0, failed: 0, rejected: 0 };
      let top = y0 + 36;
      for (const [value, color] of [[c.ok, '#2e7d32'], [c.failed, '#c62828'], [c.rejected, '#ef6c00']]) {
        if (!value) continue;
        const h = 34 * value / max, rect = document.createElementNS(ns, 'rect');
        top -= h;
        rect.setAttribute('x', left + i * bar); rect.setAttribute('y', top); rect.setAttribute('width', Math.max(1, bar - 2)); rect.setAttribute('height', h); rect.setAttribute('fill', color);
        svg.append(rect);
      }
    });
  });
}
function counters(affinity) {
  const items = [['new pins', affinity.newPins], ['hits', affinity.hits], ['re-pins', affinity.rePins], ['rebalanced', affinity.rebalanced], ['503 (backend down)', affinity.unavailable], ['expired pins', affinity.expiredPins],
    ['miss: unknown', affinity.misses.unknown], ['miss: malformed', affinity.misses.malformed], ['miss: oversized', affinity.misses.oversized], ['miss: repeated', affinity.misses.repeated], ['miss: tampered', affinity.misses.tampered]];
  $('affinity').replaceChildren(...items.map(([name, value]) => el('div', {}, el('dt', {}, name), el('dd', {}, String(value)))));
}
// The simulation's controls show what the gateway runs (GET /api/simulation), whoever set it: this page, another
// one or the API. A control the user has changed keeps the user's value until the form is sent or stopped.
const edited = new Set();
for (const id of ['sim-users', 'sim-visit', 'sim-active']) $(id).addEventListener('input', () => edited.add(id));
function showControl(id, value) {
  if (!edited.has(id) && document.activeElement !== $(id)) $(id).value = value;
}
function activeChoices(ids) {
  const select = $('sim-active');
  const wanted = ['', ...ids];
  if ([...select.options].map(o => o.value).join() === wanted.join()) return;
  const chosen = select.value;
  select.replaceChildren(...wanted.map(id => el('option', { value: id }, id ? 'users of backend ' + id : 'everyone')));
  select.value = wanted.includes(chosen) ? chosen : '';
}
function simulation(s) {
  showControl('sim-active', s.activeBackend ?? '');
  if (s.users > 0) {
    // Stopped, the form keeps the numbers for the next start rather than showing 0.
    showControl('sim-users', s.users);
    showControl('sim-visit', s.visitSeconds);
  }

  const where = Object.entries(s.usersPerBackend).map(([id, n]) => `${n} on backend ${id}`).join(', ');
  $('sim-status').textContent = s.users === 0 ? 'Not running.'
    : `${s.users} users, ${s.loggedIn} logged in${where ? ' (' + where + ')' : ''}. Requests ${s.requests}, failed ${s.failed}, sessions lost ${s.lostSessions}.`
      + (s.visitSeconds > 0 ? ` Visits of about ${s.visitSeconds} s: ${s.visitsEnded} ended, each followed by a new visitor.` : '')
      + (s.activeBackend ? ` Only the users of backend ${s.activeBackend} are active.` : '');
}
let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const [backends, settings, stats, sim] = await Promise.all(['/api/backends', '/api/settings', '/api/stats', '/api/simulation'].map(u => call('GET', u)));
    $('backends').replaceChildren(...backends.map(card));
    $('store').textContent = settings.store;
    $('affinity-setting').textContent = settings.affinity;
    if (document.activeElement !== $('failover')) $('failover').value = settings.failover;
    chart(stats.recent, backends.map(b => b.id));
    counters(stats.affinity);
    activeChoices(backends.map(b => b.id));
    simulation(sim);
  } catch (e) {
    $('error').textContent = 'The gateway does not answer: ' + e.message;
  } finally {
    refreshing = false;
  }
}
// The store's node is probed apart from the rest, less often: a store that does not answer takes
// up to a second to say so, which must not hold up the backends' cards.
async function refreshStore() {
  const store = await call('GET', '/api/store').catch(() => null);
  $('store-node').textContent = !store || store.store === 'memory' ? ''
    : store.answers ? `(${store.kind}, primary ${store.primary})` : `(${store.kind}: not answering)`;
}
$('failover').onchange = e => call('PUT', '/api/settings', { failover: e.target.value }).then(refresh);
$('simulation').onsubmit = e => { e.preventDefault(); call('PUT', '/api/simulation', { users: Number($('sim-users').value), visitSeconds: Number($('sim-visit').value), activeBackend: $('sim-active').value || null }).then(() => { edited.clear(); refresh(); }); };
$('sim-stop').onclick = () => call('PUT', '/api/simulation', { users: 0 }).then(() => { edited.clear(); refresh(); });
refresh();
setInterval(refresh, 1000);
refreshStore();
setInterval(refreshStore, 3000);
