using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Tests.Proxy.Health;

public sealed class ProbeOutcomesTests
{
    private readonly RecordingLogger _log = new();

    [Fact]
    public void AWrongPathIsOneWarningPerBackendHoweverManyProbesFail()
    {
        var outcomes = Outcomes(spawn: false);
        var cluster = Cluster("/nope");

        for (var i = 0; i < 5; i++)
        {
            outcomes.Record(cluster, Answered(cluster, "1", HttpStatusCode.NotFound), DestinationHealth.Unhealthy);
            outcomes.Record(cluster, Answered(cluster, "2", HttpStatusCode.NotFound), DestinationHealth.Unhealthy);
        }

        Assert.Equal(
            [
                (LogLevel.Warning, "backend 1: GET /nope answered 404; give --health-path a path your app answers with 2xx or 3xx (or none)."),
                (LogLevel.Warning, "backend 2: GET /nope answered 404; give --health-path a path your app answers with 2xx or 3xx (or none)."),
            ],
            _log.Lines);
    }

    [Fact]
    public void AFailureIsReportedOnceItTakesTheBackendOutNotBefore()
    {
        var outcomes = Outcomes(spawn: false);
        var cluster = Cluster("/");

        outcomes.Record(cluster, Answered(cluster, "1", HttpStatusCode.NotFound), DestinationHealth.Unknown);
        var afterOne = _log.Lines.Count;
        outcomes.Record(cluster, Answered(cluster, "1", HttpStatusCode.NotFound), DestinationHealth.Unhealthy);

        Assert.Equal(0, afterOne);
        Assert.Single(_log.Lines);
    }

    [Fact]
    public void ARefusedConnectionNamesTheReasonAndTheAddressAndAnAnswerAfterItIsOneLineMore()
    {
        var outcomes = Outcomes(spawn: false);
        var cluster = Cluster("/healthz");
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (10.0.0.5:8080)", new SocketException((int)SocketError.ConnectionRefused));

        outcomes.Record(cluster, Failed(cluster, "2", refused), DestinationHealth.Unhealthy);
        outcomes.Record(cluster, Failed(cluster, "2", refused), DestinationHealth.Unhealthy);
        outcomes.Record(cluster, Answered(cluster, "2", HttpStatusCode.Found), DestinationHealth.Healthy);
        outcomes.Record(cluster, Answered(cluster, "2", HttpStatusCode.OK), DestinationHealth.Healthy);

        Assert.Equal(
            [
                (LogLevel.Warning, "backend 2: GET /healthz failed: connection refused (http://10.0.0.5:8080); out of rotation until it answers."),
                (LogLevel.Information, "backend 2: GET /healthz answers 302 again; back in rotation."),
            ],
            _log.Lines);
    }

    [Fact]
    public void AnotherWayOfFailingIsAChangeAndSaidOnce()
    {
        var outcomes = Outcomes(spawn: false);
        var cluster = Cluster("/");

        outcomes.Record(cluster, Answered(cluster, "1", HttpStatusCode.ServiceUnavailable), DestinationHealth.Unhealthy);
        outcomes.Record(cluster, Failed(cluster, "1", new TaskCanceledException()), DestinationHealth.Unhealthy);
        outcomes.Record(cluster, Failed(cluster, "1", new TaskCanceledException()), DestinationHealth.Unhealthy);

        Assert.Equal(
            [
                "backend 1: GET / answered 503: the app says it cannot serve (http://10.0.0.5:8080); out of rotation until it answers 2xx or 3xx.",
                "backend 1: GET / failed: no answer within 1 s (http://10.0.0.5:8080); out of rotation until it answers.",
            ],
            _log.Lines.Select(l => l.Message));
    }

    [Fact]
    public void ASpawnedBackendIsQuietUntilTheSupervisorHasSeenItUpAndAgainOnceItSaysItIsDown()
    {
        var outcomes = Outcomes(spawn: true);
        var cluster = Cluster("/healthz");
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));

        outcomes.Record(cluster, Failed(cluster, "1", refused), DestinationHealth.Unhealthy);
        outcomes.Resume("1");
        outcomes.Record(cluster, Answered(cluster, "1", HttpStatusCode.ServiceUnavailable), DestinationHealth.Unhealthy);
        outcomes.Quiet("1");
        outcomes.Record(cluster, Failed(cluster, "1", refused), DestinationHealth.Unhealthy);

        Assert.Equal(["backend 1: GET /healthz answered 503: the app says it cannot serve (http://10.0.0.5:8080); out of rotation until it answers 2xx or 3xx."], _log.Lines.Select(l => l.Message));
        Assert.Equal("GET /healthz failed: connection refused", outcomes.Last("1")!.Text);
    }

    [Fact]
    public void TheLastOutcomeIsKeptForEachBackend()
    {
        var outcomes = Outcomes(spawn: false);
        var cluster = Cluster("/nope");

        outcomes.Record(cluster, Answered(cluster, "1", HttpStatusCode.NotFound), DestinationHealth.Unknown);

        Assert.Equal(new ProbeOutcome("GET /nope answered 404", false, 404), outcomes.Last("1"));
        Assert.True(outcomes.Last("1")!.WrongPath);
        Assert.Null(outcomes.Last("2"));
    }

    private ProbeOutcomes Outcomes(bool spawn) => new(Options.Create(new GatewayOptions { Spawn = spawn }), _log);

    private static DestinationProbingResult Answered(ClusterState cluster, string id, HttpStatusCode status) =>
        new(cluster.Destinations[id], new HttpResponseMessage(status), null);

    private static DestinationProbingResult Failed(ClusterState cluster, string id, Exception exception) =>
        new(cluster.Destinations[id], null, exception);

    private static ClusterState Cluster(string path)
    {
        var config = new ClusterConfig
        {
            ClusterId = "backends",
            HealthCheck = new HealthCheckConfig { Active = new ActiveHealthCheckConfig { Enabled = true, Path = path, Timeout = TimeSpan.FromSeconds(1) } },
        };
        var cluster = new ClusterState("backends", new ClusterModel(config, new HttpMessageInvoker(new HttpClientHandler())));
        foreach (var id in new[] { "1", "2" })
        {
            cluster.Destinations[id] = new DestinationState(id, new DestinationModel(new DestinationConfig { Address = "http://10.0.0.5:8080" }));
        }

        return cluster;
    }

    private sealed class RecordingLogger : ILogger<ProbeOutcomes>
    {
        public List<(LogLevel Level, string Message)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
