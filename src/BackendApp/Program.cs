using StickyLb.BackendApp.Endpoints;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Live;
using StickyLb.BackendApp.Sessions;
using StickyLb.Shared;

var builder = WebApplication.CreateBuilder(args);
builder.AddBackendDefaults();
builder.AddBackendSessions();
builder.AddLiveHub();

var app = builder.Build();
app.UseBackendDefaults();
// The health probe runs every second and /client needs no session: keep them out of the session
// middleware, which would otherwise touch the store on every request. The live hub keeps its state in the
// connection, not the session (LiveServiceCollectionExtensions.IsLivePath says why it stays out too). The key
// ring gate holds a session request until the key ring is readable, so that a cookie is never dropped.
app.UseWhen(
    context => !context.Request.Path.StartsWithSegments(HealthResponse.Path)
        && !context.Request.Path.StartsWithSegments(ClientEndpoints.Path)
        && !LiveServiceCollectionExtensions.IsLivePath(context.Request.Path),
    branch => branch.UseMiddleware<KeyRingGate>().UseSession());
app.MapHealthEndpoints();
app.MapClientEndpoints();
app.MapSessionEndpoints();
app.MapLiveHub();
app.Run();
