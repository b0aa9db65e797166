using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using StickyLb.BackendApp.Replicated;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Replicated;

namespace StickyLb.Tests.Proxy.Replicated;

public sealed class ClusterPeersTests
{
    [Fact]
    public void ABackendStartingAloneFoundsTheClusterOnItsOwnPort()
    {
        var peers = Peers(StoreMode.Replicated, ReplicationMode.Async);
        var startInfo = new ProcessStartInfo("backend");

        peers.HandDownTo(startInfo, "1", []);

        var port = peers.PortOf("1")!.Value;
        Assert.Equal($"{port}", startInfo.Environment[ClusterPeers.PortVariable]);
        Assert.Equal($"127.0.0.1:{port}", startInfo.Environment[ClusterPeers.SeedsVariable]);
        Assert.Equal("async", startInfo.Environment[ClusterPeers.ReplicationVariable]);
    }

    [Fact]
    public void WhatTheGatewayHandsDownIsWhatBackendAppBinds()
    {
        var peers = Peers(StoreMode.Replicated, ReplicationMode.Async);
        var startInfo = new ProcessStartInfo("backend");
        peers.HandDownTo(startInfo, "2", ["1"]);
        var environment = startInfo.Environment.Where(variable => variable.Key.StartsWith(ReplicatedOptions.Section + "__", StringComparison.Ordinal))
            .Select(variable => KeyValuePair.Create(variable.Key.Replace("__", ":", StringComparison.Ordinal), variable.Value));

        var options = new ConfigurationBuilder().AddInMemoryCollection(environment).Build().GetSection(ReplicatedOptions.Section).Get<ReplicatedOptions>()!;

        Assert.Equal((peers.PortOf("2")!.Value, $"127.0.0.1:{peers.PortOf("1")}", false), (options.Port, options.Seeds, options.IsSync));
    }

    [Fact]
    public void ABackendStartingBesideRunningOnesIsToldOnlyThemSoItCanOnlyJoin()
    {
        var peers = Peers(StoreMode.Replicated, ReplicationMode.Sync);
        var startInfo = new ProcessStartInfo("backend");

        peers.HandDownTo(startInfo, "2", ["1", "3"]);

        Assert.Equal($"127.0.0.1:{peers.PortOf("1")},127.0.0.1:{peers.PortOf("3")}", startInfo.Environment[ClusterPeers.SeedsVariable]);
        Assert.Equal("sync", startInfo.Environment[ClusterPeers.ReplicationVariable]);
        Assert.Equal(3, new[] { "1", "2", "3" }.Select(peers.PortOf).Distinct().Count());
    }

    [Fact]
    public void ReplicatedBackendsRunWithDynamicPgoUnlessTheUsersEnvironmentSaysOtherwise()
    {
        var peers = Peers(StoreMode.Replicated, ReplicationMode.Sync);
        var started = new ProcessStartInfo("backend");
        var userSaysOff = new ProcessStartInfo("backend") { Environment = { [ClusterPeers.DynamicPgoVariable] = "0" } };

        peers.HandDownTo(started, "1", []);
        peers.HandDownTo(userSaysOff, "2", ["1"]);

        Assert.Equal("1", started.Environment[ClusterPeers.DynamicPgoVariable]);
        Assert.Equal("0", userSaysOff.Environment[ClusterPeers.DynamicPgoVariable]);
    }

    [Fact]
    public void OutsideReplicatedModeNoClusterSettingReachesABackend()
    {
        var peers = Peers(StoreMode.Redis, ReplicationMode.Sync);
        var startInfo = new ProcessStartInfo("backend") { Environment = { [ClusterPeers.SeedsVariable] = "inherited:1" } };

        peers.HandDownTo(startInfo, "1", []);

        Assert.Null(peers.PortOf("1"));
        Assert.False(startInfo.Environment.ContainsKey(ClusterPeers.SeedsVariable));
        Assert.False(startInfo.Environment.ContainsKey(ClusterPeers.PortVariable));
        Assert.False(startInfo.Environment.ContainsKey(ClusterPeers.DynamicPgoVariable));
    }

    private static ClusterPeers Peers(StoreMode store, ReplicationMode replication) =>
        new(Options.Create(new GatewayOptions { Store = store, Replication = replication, Backends = 3 }));
}
