using Microsoft.AspNetCore.Http.HttpResults;

namespace StickyLb.Proxy.Admin;

/// <summary>
/// <c>GET /</c> on the admin port: a minimal live page over the admin API (backends with kill and
/// start buttons, the failover toggle, the affinity counters). Self-contained: no CDN, no internet.
/// </summary>
internal static class AdminPage
{
    public static ContentHttpResult Render() => TypedResults.Content(Html, "text/html; charset=utf-8");

    private const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width">
        <title>StickyLb</title>
        <style>
        body{font:15px system-ui,sans-serif;max-width:56rem;margin:1.5rem auto;padding:0 1rem}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}
        .healthy{color:#17692c}.unhealthy{color:#a40e26}.unknown{color:#666}
        </style>
        </head>
        <body>
        <h1>StickyLb</h1>
        <p>Store: <strong id="store">?</strong>.
        <label>Failover policy
        <select id="failover"><option>Redistribute</option><option>Return503Error</option></select></label></p>
        <table aria-label="Backends">
        <thead><tr><th>Backend</th><th>Address</th><th>State</th><th>Health</th><th>Pid</th><th>Sessions</th><th>Requests</th><th></th></tr></thead>
        <tbody id="backends"></tbody>
        </table>
        <h2>Affinity</h2>
        <pre id="stats"></pre>
        <p id="error" role="alert"></p>
        <script>
        const $ = id => document.getElementById(id);
        async function call(method, url, body) {
          const r = await fetch(url, {method, headers: body ? {'Content-Type': 'application/json'} : {}, body: body && JSON.stringify(body)});
          const data = await r.json();
          $('error').textContent = r.ok ? '' : (data.detail || data.title);
          return data;
        }
        function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; }
        async function refresh() {
          const [backends, settings, stats] = await Promise.all([call('GET', '/api/backends'), call('GET', '/api/settings'), call('GET', '/api/stats')]);
          const body = $('backends'); body.replaceChildren();
          for (const b of backends) {
            const row = body.insertRow();
            [b.id, b.address, b.state].forEach(t => cell(row, t));
            cell(row, b.health, b.health);
            [b.pid ?? '', b.sessions, b.requests].forEach(t => cell(row, t));
            const button = document.createElement('button');
            const verb = b.state === 'stopped' ? 'start' : 'kill';
            button.textContent = verb + ' ' + b.id;
            button.onclick = () => call('POST', `/api/backends/${b.id}/${verb}`).then(refresh);
            row.insertCell().append(button);
          }
          $('store').textContent = settings.store;
          if (document.activeElement !== $('failover')) $('failover').value = settings.failover;
          $('stats').textContent = JSON.stringify(stats, null, 2);
        }
        $('failover').onchange = e => call('PUT', '/api/settings', {failover: e.target.value}).then(refresh);
        refresh(); setInterval(refresh, 1000);
        </script>
        </body>
        </html>
        """;
}
