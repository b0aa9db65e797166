using StickyLb.BackendApp.Endpoints;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Sessions;

var builder = WebApplication.CreateBuilder(args);
builder.AddBackendDefaults();
builder.AddBackendSessions();

var app = builder.Build();
app.UseBackendDefaults();
// The health probe runs every second and /client needs no session: keep them out of the session
// middleware, which would otherwise touch the store on every request. The key ring gate holds a
// session request until the key ring is readable, so that a cookie is never dropped as unreadable.
app.UseWhen(
    context => !context.Request.Path.StartsWithSegments(HealthEndpoints.Path)
        && !context.Request.Path.StartsWithSegments(ClientEndpoints.Path),
    branch => branch.UseMiddleware<KeyRingGate>().UseSession());
app.MapHealthEndpoints();
app.MapClientEndpoints();
app.MapSessionEndpoints();
app.Run();
