using Spectre.Console;
using StickyLb.Proxy.Compare;
using StickyLb.Proxy.Gateway;

if (args is [CompareCommand.Name, .. var compareArgs])
{
    return await CompareCommand.RunAsync(compareArgs, AnsiConsole.Console);
}

if (GatewayCommandLine.IsHelp(args))
{
    Console.Out.Write(GatewayCommandLine.Help());
    return 0;
}

if (!GatewayCommandLine.TryCheck(args, out var usage))
{
    Console.Error.WriteLine("stickylb: " + usage);
    return 2;
}

if (!GatewayApp.TryBuild(args, out var app, out var error))
{
    Console.Error.WriteLine("stickylb: " + error);
    return 2;
}

return await app.RunAsync(Console.Out, Console.Error);
