using Microsoft.Extensions.Configuration;
using StickyLb.BackendApp.Hosting;
using StickyLb.Proxy.Backends;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Tests.Proxy.Backends;

public sealed class BackendLauncherTests
{
    [Fact]
    public void TheStoreIsHandedDownInTheEnvironmentNeverOnTheCommandLine()
    {
        const string Store = "127.0.0.1:6379,password=hunter2";

        var startInfo = BackendLauncher.CreateStartInfo("1", new Uri("http://127.0.0.1:5101"), new GatewayOptions { Store = StoreMode.Redis }, Store);

        Assert.Equal(Store, startInfo.Environment["Backend__Redis"]);
        Assert.DoesNotContain(startInfo.ArgumentList, argument => argument.Contains("hunter2", StringComparison.Ordinal) || argument.Contains("Redis", StringComparison.Ordinal));
    }

    [Fact]
    public void AGatewayThatDoesNotUseTheStoreHandsNoStoreDown()
    {
        var startInfo = BackendLauncher.CreateStartInfo("1", new Uri("http://127.0.0.1:5101"), new GatewayOptions(), storeConfiguration: null);

        Assert.False(startInfo.Environment.ContainsKey("Backend__Redis"));
    }

    [Theory]
    [InlineData(StoreMode.Memory, "memory")]
    [InlineData(StoreMode.Redis, "redis")]
    [InlineData(StoreMode.Replicated, "replicated")]
    public void WhatTheLauncherWritesIsWhatBackendAppBinds(StoreMode store, string storeName)
    {
        const string Store = "127.0.0.1:6379";
        var startInfo = BackendLauncher.CreateStartInfo("2", new Uri("http://127.0.0.1:5102"), new GatewayOptions { Store = store, IdleTimeout = 90 }, Store);
        var arguments = startInfo.ArgumentList.SkipWhile(argument => argument != "--urls").ToArray();
        var environment = startInfo.Environment.Where(variable => variable.Key.StartsWith(BackendOptions.Section + "__", StringComparison.Ordinal))
            .Select(variable => KeyValuePair.Create(variable.Key.Replace("__", ":", StringComparison.Ordinal), variable.Value));

        var options = new ConfigurationBuilder().AddInMemoryCollection(environment).AddCommandLine(arguments).Build()
            .GetSection(BackendOptions.Section).Get<BackendOptions>()!;

        Assert.Equal(("2", storeName, Store, TimeSpan.FromSeconds(90), Environment.ProcessId), (options.Id, options.Store, options.Redis, options.IdleTimeout, options.ParentPid));
    }

    [Fact]
    public void TheGatewayUsesNoCodeOfBackendApp()
    {
        // BackendApp is a project reference only so that it is built into the gateway's folder, from
        // which the gateway spawns it: the compiler records an assembly reference only where code uses it.
        var references = typeof(GatewayApp).Assembly.GetReferencedAssemblies().Select(a => a.Name);

        Assert.DoesNotContain("BackendApp", references);
    }
}
