using Microsoft.AspNetCore.Http.HttpResults;

namespace StickyLb.Proxy.Admin;

/// <summary>
/// <c>GET /</c> on the admin port: the live dashboard. One card per backend (state, health, pid,
/// sessions, requests, kill and start), the failover toggle, the store, a chart of the last 30 seconds
/// of requests per backend by outcome, the affinity counters, and simulated users. It polls the admin
/// API every second. Self-contained: no CDN, no fonts, no internet.
/// </summary>
internal static class DashboardPage
{
    public static ContentHttpResult Render() => TypedResults.Content(Html, "text/html; charset=utf-8");

    private const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>StickyLb</title>
        <style>
        :root { --ok:#2e7d32; --bad:#c62828; --warn:#ef6c00; --muted:#5f6368; --line:#dadce0; }
        * { box-sizing: border-box; }
        body { font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #202124; background: #f8f9fa; }
        header { display: flex; flex-wrap: wrap; gap: 1rem 2rem; align-items: center; padding: 1rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
        header h1 { font-size: 1.3rem; margin: 0; }
        main { padding: 1rem 1.5rem; display: grid; gap: 1rem; max-width: 72rem; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
        h2 { font-size: 1rem; margin: 0 0 .75rem; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); gap: .75rem; }
        .card { border: 1px solid var(--line); border-radius: 8px; padding: .75rem; }
        .card h3 { margin: 0 0 .5rem; font-size: 1rem; display: flex; justify-content: space-between; }
        .card dl { display: grid; grid-template-columns: auto 1fr; gap: .1rem .75rem; margin: 0 0 .6rem; }
        .card dt { color: var(--muted); }
        .card dd { margin: 0; font-variant-numeric: tabular-nums; }
        .healthy { color: var(--ok); font-weight: 600; }
        .unhealthy { color: var(--bad); font-weight: 600; }
        .unknown { color: var(--muted); font-weight: 600; }
        .stopped { color: var(--bad); }
        .draining { color: var(--warn); font-weight: 600; }
        button { font: inherit; padding: .3rem .8rem; border-radius: 6px; border: 1px solid #9aa0a6; background: #fff; cursor: pointer; }
        button:disabled { opacity: .45; cursor: default; }
        button.kill { border-color: var(--bad); color: var(--bad); }
        .legend span { display: inline-flex; align-items: center; gap: .3rem; margin-right: 1rem; }
        .swatch { width: .8rem; height: .8rem; display: inline-block; border-radius: 2px; }
        .counters { display: flex; flex-wrap: wrap; gap: .5rem 2rem; margin: 0; }
        .counters div { display: flex; flex-direction: column; }
        .counters dt { color: var(--muted); font-size: .85rem; }
        .counters dd { margin: 0; font-size: 1.3rem; font-variant-numeric: tabular-nums; }
        #error { color: var(--bad); min-height: 1.2em; margin: 0; }
        </style>
        </head>
        <body>
        <header>
          <h1>StickyLb</h1>
          <div>Store: <strong id="store" data-testid="store">…</strong> <span id="store-node" data-testid="store-node"></span>
            Affinity: <strong id="affinity-setting" data-testid="affinity-setting" title="--affinity: on pins each client to a backend with the server cookie; off balances every request on its own">…</strong></div>
          <label>Failover policy
            <select id="failover" data-testid="failover">
              <option value="Redistribute">Redistribute: re-pin to a healthy backend</option>
              <option value="Return503Error">Return503Error: 503 until it is back</option>
            </select>
          </label>
          <p id="error" role="alert"></p>
        </header>
        <main>
          <section aria-labelledby="backends-title">
            <h2 id="backends-title">Backends</h2>
            <div class="cards" id="backends"></div>
          </section>
          <section aria-labelledby="traffic-title">
            <h2 id="traffic-title">Requests per backend, last 30 seconds</h2>
            <p class="legend"><span><i class="swatch" style="background:var(--ok)"></i>answered</span><span><i class="swatch" style="background:var(--bad)"></i>failed (5xx)</span><span><i class="swatch" style="background:var(--warn)"></i>503 by the gateway</span></p>
            <svg id="traffic" data-testid="traffic" role="img" aria-label="Requests per backend per second" width="760" height="40" preserveAspectRatio="xMinYMin meet" style="max-width:100%"></svg>
          </section>
          <section aria-labelledby="affinity-title">
            <h2 id="affinity-title">Affinity</h2>
            <dl class="counters" id="affinity" data-testid="affinity"></dl>
          </section>
          <section aria-labelledby="simulation-title">
            <h2 id="simulation-title">Simulated users</h2>
            <form id="simulation">
              <label>Users <input id="sim-users" data-testid="sim-users" type="number" min="0" max="500" value="30" style="width:6rem"></label>
              <label title="Each user logs out and leaves after about this long and a new visitor arrives: a draining backend empties. 0: users never leave.">Visits (s) <input id="sim-visit" data-testid="sim-visit" type="number" min="0" max="3600" value="0" style="width:5rem"></label>
              <label title="The seeds' skew: only the users of one backend keep their pace, the others mostly idle (without affinity: the same share of the users).">Active <select id="sim-active" data-testid="sim-active"><option value="">everyone</option><option value="1">users of backend 1</option><option value="2">users of backend 2</option><option value="3">users of backend 3</option></select></label>
              <button id="sim-start" data-testid="sim-start">Start</button>
              <button id="sim-stop" data-testid="sim-stop" type="button">Stop</button>
            </form>
            <p id="sim-status" data-testid="sim-status" aria-live="polite">Not running.</p>
          </section>
        </main>
        <script>
        const $ = id => document.getElementById(id);
        async function call(method, url, body) {
          const response = await fetch(url, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body && JSON.stringify(body) });
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
          const items = [['new pins', affinity.newPins], ['hits', affinity.hits], ['re-pins', affinity.rePins], ['503 (backend down)', affinity.unavailable],
            ['miss: unknown', affinity.misses.unknown], ['miss: malformed', affinity.misses.malformed], ['miss: oversized', affinity.misses.oversized], ['miss: repeated', affinity.misses.repeated]];
          $('affinity').replaceChildren(...items.map(([name, value]) => el('div', {}, el('dt', {}, name), el('dd', {}, String(value)))));
        }
        function simulation(s) {
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
        $('simulation').onsubmit = e => { e.preventDefault(); call('PUT', '/api/simulation', { users: Number($('sim-users').value), visitSeconds: Number($('sim-visit').value), activeBackend: $('sim-active').value || null }).then(refresh); };
        $('sim-stop').onclick = () => call('PUT', '/api/simulation', { users: 0 }).then(refresh);
        refresh();
        setInterval(refresh, 1000);
        refreshStore();
        setInterval(refreshStore, 3000);
        </script>
        </body>
        </html>
        """;
}
