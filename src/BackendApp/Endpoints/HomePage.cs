using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Live;

namespace StickyLb.BackendApp.Endpoints;

/// <summary><c>GET /</c>: a small page for a person, with the facts of <c>/whoami</c>, a login form and the cart.</summary>
internal static class HomePage
{
    public static ContentHttpResult Render(HttpContext context, IOptions<BackendOptions> options)
    {
        var session = SessionEndpoints.Open(context, options.Value);
        session.Visits++;
        var facts = SessionEndpoints.Describe(session, options.Value);
        var cart = session.Cart;

        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>StickyLb backend ")
            .Append(Encode(facts.Backend))
            .Append("</title><meta name=\"viewport\" content=\"width=device-width\"><style>")
            .Append("body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}")
            .Append("dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}")
            .Append("</style></head><body><h1>Backend ").Append(Encode(facts.Backend)).Append("</h1><dl>");
        Fact(html, "User", facts.User ?? "not logged in");
        Fact(html, "Visits", facts.Visits.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Fact(html, "Session", facts.SessionId);
        Fact(html, "Session created by backend", facts.SessionBackend ?? "");
        Fact(html, "Store", facts.Store);
        html.Append("</dl><form id=\"login\"><label>User <input name=\"user\" maxlength=\"64\" required></label> ")
            .Append("<button>Log in</button> <button type=\"button\" id=\"logout\">Log out</button></form>")
            .Append("<h2>Cart</h2><ul>");
        foreach (var item in cart)
        {
            html.Append("<li>").Append(Encode(item)).Append("</li>");
        }

        html.Append("</ul><form id=\"cart\"><label>Item <input name=\"item\" maxlength=\"64\" required></label> ")
            .Append("<button>Add</button></form>")
            .Append("<h2>Live connection</h2><p>A count held only in a SignalR connection's memory: it survives no backend's death, whatever the store.</p>")
            .Append("<button type=\"button\" id=\"live\">Count on a live connection</button> <output id=\"live-count\"></output>")
            .Append("<p id=\"error\" role=\"alert\"></p><script src=\"").Append(LiveAssets.ScriptPath).Append("\"></script><script>")
            .Append("async function post(url,body){const r=await fetch(url,{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(body)});")
            .Append("if(r.ok){location.reload()}else{document.getElementById('error').textContent=(await r.json()).detail}}")
            .Append("document.getElementById('login').onsubmit=e=>{e.preventDefault();post('/login',{user:e.target.user.value})};")
            .Append("document.getElementById('logout').onclick=()=>post('/logout',{});")
            .Append("document.getElementById('cart').onsubmit=e=>{e.preventDefault();post('/cart/items',{item:e.target.item.value})};")
            .Append(LiveScript)
            .Append("</script></body></html>");
        return TypedResults.Content(html.ToString(), "text/html; charset=utf-8");
    }

    /// <summary>
    /// The live button: opens a connection to the hub on first use (through the gateway, pinned by its
    /// cookie like any request), then shows the connection's count and the backend it lives on. When the
    /// backend dies the connection closes and the next click opens a new one, whose count starts at 1.
    /// </summary>
    private const string LiveScript =
        "let live;const liveOut=document.getElementById('live-count');" +
        "document.getElementById('live').onclick=async()=>{try{" +
        "if(!live){live=new signalR.HubConnectionBuilder().withUrl('" + LiveHub.Path + "').build();" +
        "live.onclose(()=>{live=null;liveOut.textContent='connection closed; the next click opens a new one'});await live.start()}" +
        "const count=await live.invoke('Increment');const backend=await live.invoke('WhoAmI');" +
        "liveOut.textContent='count '+count+' on backend '+backend}" +
        "catch(e){live=null;document.getElementById('error').textContent='live connection: '+e}};";

    private static void Fact(StringBuilder html, string name, string value) =>
        html.Append("<dt>").Append(name).Append("</dt><dd>").Append(Encode(value)).Append("</dd>");

    private static string Encode(string value) => WebUtility.HtmlEncode(value);
}
