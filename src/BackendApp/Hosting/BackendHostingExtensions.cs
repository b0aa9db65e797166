namespace StickyLb.BackendApp.Hosting;

/// <summary>Hosting defaults shared by every BackendApp process.</summary>
internal static class BackendHostingExtensions
{
    /// <summary>
    /// Where a backend listens when it is started by hand without ASP.NET Core's own <c>--urls</c> (or
    /// <c>ASPNETCORE_URLS</c>), which takes any address: <c>--urls http://10.0.0.12:8080</c>. The gateway
    /// always passes a loopback <c>--urls</c> to the backends it spawns.
    /// </summary>
    public const string DefaultUrl = "http://127.0.0.1:5101";

    /// <summary>The largest request body a backend reads, in bytes: every body it accepts is tiny.</summary>
    public const long MaxRequestBodyBytes = 16 * 1024;

    public static WebApplicationBuilder AddBackendDefaults(this WebApplicationBuilder builder)
    {
        // Quiet by default: a backend is a child of the gateway, whose console a person reads.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // In memory mode the key ring lives only in this process on purpose; Data Protection warns
        // on every start that such keys are unencrypted at rest, which is true and harmless here.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        // Per-request hosting logs are off entirely: while that logger is enabled at any level,
        // ASP.NET Core starts an Activity for every request, which the gateway benchmark measured.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
        });

        builder.Services.AddOptions<BackendOptions>()
            .BindConfiguration(BackendOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.ConfigureOptions<BackendForwardedHeaders>();
        builder.Services.AddProblemDetails();
        builder.Services.AddHostedService<ParentWatchdog>();
        return builder;
    }

    public static WebApplication UseBackendDefaults(this WebApplication app)
    {
        // First: everything after it (the session middleware, the endpoints, logging) sees the client's
        // address, scheme and host, not the gateway's.
        app.UseForwardedHeaders();
        app.UseMiddleware<BackendHeaderMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }
}
