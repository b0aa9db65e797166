using Spectre.Console;
using StickyLb.Proxy.Compare;
using StickyLb.Proxy.Gateway;

if (args is [CompareCommand.Name, .. var compareArgs])
{
    return await CompareCommand.RunAsync(compareArgs, AnsiConsole.Console);
}

// Before anything starts: the gateway may replace itself once with its runtime settings.
ReadyToRunRestart.RestartIfNeeded();

if (!GatewayApp.TryBuild(args, out var app, out var error))
{
    Console.Error.WriteLine("stickylb: " + error);
    return 2;
}

return await app.RunAsync(Console.Out, Console.Error);
