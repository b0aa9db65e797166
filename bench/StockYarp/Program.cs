// Stock YARP with its own cookie affinity, the baseline bench/gateway.py measures StickyLb against:
// nothing but YARP's configuration (appsettings.json here; destinations and --urls on the command line).
// The content root is the output folder, so the repository's own appsettings.json is never read.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));

var app = builder.Build();
app.MapReverseProxy();
app.Run();
