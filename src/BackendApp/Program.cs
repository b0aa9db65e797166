using StickyLb.BackendApp.Endpoints;
using StickyLb.BackendApp.Hosting;
using StickyLb.BackendApp.Sessions;

var builder = WebApplication.CreateBuilder(args);
builder.AddBackendDefaults();
builder.AddBackendSessions();

var app = builder.Build();
app.UseBackendDefaults();
// The health probe runs every second: keep it out of the session middleware, which would
// otherwise touch the store on every probe.
app.UseWhen(context => !context.Request.Path.StartsWithSegments(HealthEndpoints.Path), branch => branch.UseSession());
app.MapHealthEndpoints();
app.MapSessionEndpoints();
app.Run();
