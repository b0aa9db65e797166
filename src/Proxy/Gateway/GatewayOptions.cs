using System.ComponentModel.DataAnnotations;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// The gateway's settings: the <c>Gateway</c> section of the root appsettings.json, overridden by
/// the command-line options of the same names (<c>--store</c>, <c>--failover</c>, ...). Bound and validated
/// at start-up (<see cref="GatewayOptionsBinding"/>); the enums read through their type converters.
/// </summary>
internal sealed class GatewayOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string Section = "Gateway";

    /// <summary>The YARP cluster that holds the backends; its destinations are named "1".."N".</summary>
    public const string ClusterId = "backends";

    /// <summary>The most backends the gateway spawns.</summary>
    public const int MaxBackends = 16;

    /// <summary>Where sessions live. Default <see cref="StoreMode.Memory"/>.</summary>
    public StoreMode Store { get; set; } = StoreMode.Memory;

    /// <summary>
    /// An existing store for redis mode, as a StackExchange.Redis configuration string (<c>host:port</c>,
    /// <c>password=</c>, <c>user=</c>, <c>ssl=true</c>, several endpoints, <c>serviceName=</c>). It may hold a
    /// password: show <see cref="Store.StoreSupervisor.Endpoint"/> instead. Default none: an embedded store.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>How replicated mode spreads a change: <see cref="ReplicationMode.Sync"/> (default) or <see cref="ReplicationMode.Async"/>.</summary>
    public ReplicationMode Replication { get; set; } = ReplicationMode.Sync;

    /// <summary>The failover policy at start-up; the admin API can flip it live. Default Redistribute.</summary>
    public FailoverMode Failover { get; set; } = FailoverMode.Redistribute;

    /// <summary>
    /// <see cref="AffinityMode.On"/> (default, <c>--affinity on</c>): the <c>server=N</c> cookie pins each client to a
    /// backend. <see cref="AffinityMode.Off"/>: YARP's session affinity is off for the cluster and every request is
    /// balanced on its own; in memory mode users then lose their session on ordinary requests.
    /// </summary>
    public AffinityMode Affinity { get; set; } = AffinityMode.On;

    /// <summary>Whether <see cref="Affinity"/> is on.</summary>
    public bool IsAffinityOn => Affinity == AffinityMode.On;

    /// <summary>
    /// How a new pin is placed (<c>--balance</c>): <c>LeastSessions</c> or any YARP load-balancing policy, set as the backends
    /// cluster's <c>LoadBalancingPolicy</c>. Default (null): the cluster's own setting, else <c>LeastSessions</c> with
    /// affinity and <c>RoundRobin</c> without.
    /// </summary>
    public string? Balance { get; set; }

    /// <summary>Seconds over which a backend that just came up ramps to its full share of new sessions; 0 turns it off. Default 10.</summary>
    [Range(0.0, 3600.0)]
    public double SlowStart { get; set; } = Placement.PlacementDefaults.SlowStartSeconds;

    /// <summary>
    /// <c>off</c> (default) or a factor above 1 such as <c>1.25</c>: in redis and replicated mode, users pinned to a backend
    /// that served more than factor x the mean of the backends' requests over the last 2 s are re-pinned at their next
    /// request to the least loaded backend. Refused in memory mode, where a move logs the user out.
    /// </summary>
    public string Rebalance { get; set; } = Placement.PlacementDefaults.RebalanceOff;

    /// <summary><see cref="Rebalance"/> as a number; null when off (or not a number: the validator refuses that).</summary>
    public double? RebalanceFactor => TryParseRebalance(Rebalance, out var factor) ? factor : null;

    /// <summary>Parses a <see cref="Rebalance"/> value: <c>off</c> (null) or a number above 1.</summary>
    public static bool TryParseRebalance(string? text, out double? factor)
    {
        factor = null;
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals(Placement.PlacementDefaults.RebalanceOff, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (double.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 1 && value <= 100)
        {
            factor = value;
            return true;
        }

        return false;
    }

    /// <summary>How many backends to spawn, 1 to 16. Default 3.</summary>
    [Range(1, MaxBackends)]
    public int Backends { get; set; } = 3;

    /// <summary>
    /// The URLs the gateway listens on (<c>--listen</c>, repeatable): <c>http://</c> or <c>https://</c>, any address and
    /// port. Empty (default): one listener, <c>http://127.0.0.1:</c><see cref="Port"/>.
    /// </summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>The HTTPS listeners' certificate: a PEM file (with <see cref="CertificateKey"/>) or a PFX file. Default none.</summary>
    public string? Certificate { get; set; }

    /// <summary>The PEM private key of <see cref="Certificate"/>. Default none (a PFX, or a PEM file that holds its key).</summary>
    public string? CertificateKey { get; set; }

    /// <summary>The gateway's port on 127.0.0.1 when no <see cref="Listen"/> URL is given. Default 5000.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 5000;

    /// <summary>The admin API and dashboard port on 127.0.0.1 when <see cref="AdminListen"/> is not given. Default 5001.</summary>
    [Range(0, 65535)]
    public int AdminPort { get; set; } = 5001;

    /// <summary>
    /// The admin API, dashboard and <c>/metrics</c> URL: <c>http://</c>, an IP address, <c>localhost</c> or <c>*</c>, and a
    /// port (<see cref="Admin.AdminListenAddress"/>). Off loopback every admin request needs <see cref="AdminToken"/>.
    /// Not together with <see cref="AdminPort"/>. Default none: <c>http://127.0.0.1:</c><see cref="AdminPort"/>.
    /// </summary>
    public string? AdminListen { get; set; }

    /// <summary>The environment variable that holds <see cref="AdminToken"/> when the configuration does not.</summary>
    public const string AdminTokenVariable = "STICKYLB_ADMIN_TOKEN";

    /// <summary>
    /// The bearer token every admin request needs when <see cref="AdminListen"/> is not on loopback:
    /// <c>Gateway:AdminToken</c>, else the environment variable <see cref="AdminTokenVariable"/> (leading and trailing
    /// white space ignored). A secret: never printed, logged or returned. Default none (then a non-loopback admin
    /// listener is refused at start-up).
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>The port of spawned backend 1; backend N listens on this + N - 1. Default 5101.</summary>
    [Range(1, 65535)]
    public int BackendPort { get; set; } = 5101;

    /// <summary>
    /// How long a session lives without a request, in seconds, on every backend the gateway spawns: a demo of a
    /// planned restart (drain, let sessions end, stop) can use a few seconds. Default 1200 (20 minutes).
    /// </summary>
    [Range(1, 86400)]
    public int IdleTimeout { get; set; } = 1200;

    /// <summary>The port of the embedded store that redis mode starts on 127.0.0.1 without <c>--redis</c>. Default 6380.</summary>
    [Range(1, 65535)]
    public int StorePort { get; set; } = 6380;

    /// <summary>
    /// The embedded store's data directory, where it keeps its append-only file so that its crash loses at most
    /// the last second. A directory given here is kept and recovered from when the gateway starts again. Default
    /// (null): <c>stickylb-store-PORT</c> in the system's temporary folder, emptied when the gateway starts and
    /// removed when it stops, so each gateway run starts with an empty store, as before.
    /// </summary>
    public string? StoreDir { get; set; }

    /// <summary>
    /// True (default): spawn and supervise the backends. False: spawn nothing and proxy to the
    /// destinations of the <c>ReverseProxy</c> section as they are.
    /// </summary>
    public bool Spawn { get; set; } = true;

    /// <summary>
    /// With <see cref="Spawn"/> false: the backends' URLs (<c>--backend</c>, repeatable), destinations "1".."N" in
    /// this order. Empty (default): the destinations of the <c>ReverseProxy</c> section.
    /// </summary>
    public List<string> Backend { get; set; } = [];

    /// <summary>
    /// The active health probe's path; a 2xx or 3xx answer is up; <c>none</c> turns active probes off.
    /// Default: <c>/healthz</c> when spawning, <c>/</c> with <see cref="Spawn"/> false.
    /// </summary>
    public string? HealthPath { get; set; }

    /// <summary>The longest pin lifetime, in seconds: a year.</summary>
    public const int MaxPinSeconds = 31_536_000;

    /// <summary>
    /// Seconds a pin may go unused (<c>--pin-max-idle</c>, HAProxy's <c>maxidle</c>): a client whose last request on its
    /// pin is longer ago is placed afresh. Needs <see cref="PinKey"/>. Default none: pins never go stale, and the cookie
    /// is plain <c>server=N</c>.
    /// </summary>
    [Range(1, MaxPinSeconds)]
    public int? PinMaxIdle { get; set; }

    /// <summary>
    /// Seconds a pin may live, used or not (<c>--pin-max-life</c>, HAProxy's <c>maxlife</c>): an older one is placed afresh.
    /// Needs <see cref="PinKey"/>. Default none.
    /// </summary>
    [Range(1, MaxPinSeconds)]
    public int? PinMaxLife { get; set; }

    /// <summary>The environment variable that holds <see cref="PinKey"/> when the configuration does not.</summary>
    public const string PinKeyVariable = "STICKYLB_PIN_KEY";

    /// <summary>
    /// The key of the MAC over a pin's times in the cookie (<see cref="Affinity.PinCookieCodec"/>), the same on every
    /// gateway: <c>Gateway:PinKey</c>, else the environment variable <see cref="PinKeyVariable"/> (leading and trailing
    /// white space ignored); its UTF-8 bytes, at least 32. A secret: never printed, logged or returned. Default none.
    /// </summary>
    public string? PinKey { get; set; }

    /// <summary>Whether pins have a lifetime (<see cref="PinMaxIdle"/> or <see cref="PinMaxLife"/>).</summary>
    public bool HasPinLifetimes => PinMaxIdle is not null || PinMaxLife is not null;

    /// <summary>Removed (every request goes through YARP's forwarder): bound only so that start-up can say so.</summary>
    public string? Forwarder { get; set; }

    /// <summary>The address of spawned backend <paramref name="index"/> (1-based).</summary>
    public Uri BackendAddress(int index) => new($"http://127.0.0.1:{BackendPort + index - 1}");
}
