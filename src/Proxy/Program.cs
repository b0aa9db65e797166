using StickyLb.Proxy.Gateway;

if (!GatewayApp.TryBuild(args, out var app, out var error))
{
    Console.Error.WriteLine("stickylb: " + error);
    return 2;
}

return await app.RunAsync(Console.Out, Console.Error);
