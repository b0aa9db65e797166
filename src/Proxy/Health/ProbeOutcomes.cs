using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using StickyLb.Proxy.Gateway;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace StickyLb.Proxy.Health;

/// <summary>
/// The last active probe of each backend, in words, and the log lines that say when a backend fails its probe
/// and when it answers again: one line per backend and change (a failure is reported once it has taken the
/// backend out, so a single stale probe says nothing), never one per probe. A backend the gateway spawned is
/// quiet while its process is down or not yet up (the supervisor reports that itself), so that a normal start,
/// whose first probes are sent before the backends listen, logs nothing.
/// </summary>
internal sealed class ProbeOutcomes(IOptions<GatewayOptions> options, ILogger<ProbeOutcomes> logger)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    /// <summary>Remembers how the probe <paramref name="result"/> ended and says so when the backend's state changes.</summary>
    /// <param name="verdict">The active health the policy gave the backend for this probe.</param>
    public void Record(ClusterState cluster, DestinationProbingResult result, DestinationHealth verdict)
    {
        var active = cluster.Model.Config.HealthCheck?.Active;
        var path = string.IsNullOrEmpty(active?.Path) ? "/" : active.Path;
        var outcome = Describe(path, result, active?.Timeout);
        var id = result.Destination.DestinationId;
        lock (_lock)
        {
            var entry = EntryOf(id);
            entry.Last = outcome;
            if (entry.Quiet)
            {
                return;
            }

            if (outcome.Up)
            {
                if (entry.Reported is not null)
                {
                    entry.Reported = null;
                    logger.ProbeAnswersAgain(id, path, outcome.Status ?? 0);
                }
            }
            else if (verdict == DestinationHealth.Unhealthy && entry.Reported != outcome.Text)
            {
                entry.Reported = outcome.Text;
                var address = result.Destination.Model?.Config.Address.TrimEnd('/') ?? "";
                if (outcome.WrongPath)
                {
                    logger.ProbeAnsweredWrongPath(id, path, outcome.Status!.Value);
                }
                else if (outcome.Status is { } status)
                {
                    logger.ProbeAnsweredNotServing(id, path, status, address);
                }
                else
                {
                    logger.ProbeFailed(id, outcome.Text, address);
                }
            }
        }
    }

    /// <summary>The supervisor knows backend <paramref name="id"/> is down (it said why): its failed probes are not reported.</summary>
    public void Quiet(string id)
    {
        lock (_lock)
        {
            var entry = EntryOf(id);
            entry.Quiet = true;
            entry.Reported = null;
        }
    }

    /// <summary>The supervisor has seen backend <paramref name="id"/> up: from now on its probes are reported.</summary>
    public void Resume(string id)
    {
        lock (_lock)
        {
            var entry = EntryOf(id);
            entry.Quiet = false;
            entry.Reported = null;
        }
    }

    /// <summary>How the last probe of backend <paramref name="id"/> ended; null before the first (or with probes off).</summary>
    public ProbeOutcome? Last(string id)
    {
        lock (_lock)
        {
            return _entries.GetValueOrDefault(id)?.Last;
        }
    }

    /// <summary>The probe's outcome in words: the status it answered, or why it got no answer.</summary>
    public static ProbeOutcome Describe(string path, DestinationProbingResult result, TimeSpan? timeout)
    {
        if (result.Response is { } response)
        {
            var status = (int)response.StatusCode;
            return new ProbeOutcome($"GET {path} answered {status}", ConsecutiveFailuresSinceStartPolicy.IsUp(response), status);
        }

        return new ProbeOutcome($"GET {path} failed: {Reason(result.Exception, timeout)}", false, null);
    }

    /// <summary>Why a probe got no answer, in a few words.</summary>
    public static string Reason(Exception? exception, TimeSpan? timeout)
    {
        if (exception is OperationCanceledException)
        {
            return timeout is { } limit
                ? $"no answer within {limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s"
                : "no answer in time";
        }

        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.ConnectionReset or SocketError.ConnectionAborted => "connection reset",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
                    SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => "host unreachable",
                    SocketError.TimedOut => "connect timed out",
                    _ => socket.Message,
                };
            }
        }

        return exception switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "host not found",
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "TLS handshake failed: " + exception.Message,
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "connection closed before an answer",
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError } => "malformed HTTP answer",
            null => "no answer",
            _ => exception.Message.Split('\n')[0].Trim(),
        };
    }

    private Entry EntryOf(string id)
    {
        if (!_entries.TryGetValue(id, out var entry))
        {
            // A spawned backend is quiet until the supervisor has seen it up: its first probes precede its start.
            entry = new Entry { Quiet = options.Value.Spawn };
            _entries[id] = entry;
        }

        return entry;
    }

    private sealed class Entry
    {
        public ProbeOutcome? Last { get; set; }

        /// <summary>The failure last reported in the log, until the backend answers again.</summary>
        public string? Reported { get; set; }

        public bool Quiet { get; set; }
    }
}
