using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using StickyLb.Proxy.Gateway;

namespace StickyLb.Proxy.Admin;

/// <summary>
/// What an admin request must show before the admin API, the dashboard or <c>/metrics</c> sees it. Runs on
/// admin connections only (<see cref="AdminConnection"/>'s mark, which a client cannot forge); a gateway
/// connection passes with that one check.
/// <list type="bullet">
/// <item>Off loopback: <c>Authorization: Bearer &lt;token&gt;</c>, else 401 with <c>WWW-Authenticate: Bearer</c>.
/// The dashboard's own files are the exception (<see cref="IAllowAnonymous"/>): a page load cannot carry the
/// header, they are the same bytes for everyone, and all they show comes from the API, which asks.</item>
/// <item>On loopback: a <c>Host</c> that names the listener (its address or <c>localhost</c>, with its port), else
/// 403. A DNS-rebinding page reaches 127.0.0.1 under its own name, and sends that name. Off loopback the
/// token is the protection.</item>
/// <item>Everywhere: a POST, PUT, DELETE or PATCH whose <c>Origin</c>, when it has one, is not the origin the
/// request was sent to (its scheme and <c>Host</c>, which on loopback is the listener's own), else 403. A
/// cross-site form or fetch sends its page's origin; curl and scripts send none and pass.</item>
/// </list>
/// </summary>
internal sealed partial class AdminRequestGuard
{
    private const string BearerPrefix = "Bearer ";

    private readonly RequestDelegate _next;
    private readonly ILogger<AdminRequestGuard> _logger;

    /// <summary>SHA-256 of the token, or null on loopback (no token asked for).</summary>
    private readonly byte[]? _tokenHash;

    public AdminRequestGuard(RequestDelegate next, IOptions<GatewayOptions> options, ILogger<AdminRequestGuard> logger)
    {
        _next = next;
        _logger = logger;
        var listener = AdminListenAddress.From(options.Value);
        _tokenHash = listener.IsLoopback
            ? null
            : Hash(options.Value.AdminToken ?? throw new InvalidOperationException("An admin listener off loopback needs a token (validated at start-up)."));
    }

    public Task InvokeAsync(HttpContext context) => AdminConnection.IsAdmin(context) ? GuardAsync(context) : _next(context);

    private Task GuardAsync(HttpContext context)
    {
        var request = context.Request;
        if (_tokenHash is not null && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null && !HasToken(request))
        {
            NoToken(_logger, request.Method, request.Path);
            context.Response.Headers.WWWAuthenticate = request.Headers.Authorization.Count == 0 ? "Bearer" : "Bearer error=\"invalid_token\"";
            return RefuseAsync(
                context, StatusCodes.Status401Unauthorized, "Admin token required",
                $"This admin listener is not on loopback: send Authorization: Bearer <token>, the token the gateway was given in {GatewayOptions.AdminTokenVariable} or Gateway:AdminToken.");
        }

        if (_tokenHash is null && !NamesLoopbackListener(context))
        {
            ForeignHost(_logger, request.Method, request.Path, request.Host.Value ?? "");
            return RefuseAsync(
                context, StatusCodes.Status403Forbidden, "Host not allowed",
                $"The admin listener on loopback answers only requests addressed to its own address or localhost, port {context.Connection.LocalPort} (another name is how a DNS-rebinding page reaches it).");
        }

        if (IsStateChanging(request.Method) && request.Headers.Origin is { Count: > 0 } origin && !IsSameOrigin(origin, request))
        {
            CrossSite(_logger, request.Method, request.Path, origin.ToString());
            return RefuseAsync(
                context, StatusCodes.Status403Forbidden, "Cross-site request refused",
                $"A {request.Method} from another origin is refused: the admin API takes changes only from its own pages or from clients that send no Origin (curl, scripts).");
        }

        return _next(context);
    }

    /// <summary>Whether the request carries the token, compared in constant time.</summary>
    private bool HasToken(HttpRequest request)
    {
        var values = request.Headers.Authorization;
        if (values.Count != 1 || values[0] is not { } value || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Both sides hashed first: FixedTimeEquals is constant-time only for inputs of equal length, and the
        // hashes make the time independent of the token's length as well.
        return CryptographicOperations.FixedTimeEquals(Hash(value[BearerPrefix.Length..]), _tokenHash);
    }

    /// <summary>
    /// Whether the Host names this loopback listener: the address the connection arrived on or <c>localhost</c>
    /// (matched by HostFiltering's rules, <see cref="HostString.MatchesAny"/>), with the listener's port.
    /// </summary>
    private static bool NamesLoopbackListener(HttpContext context)
    {
        var host = context.Request.Host;
        var port = host.Port ?? (context.Request.IsHttps ? 443 : 80);
        if (!host.HasValue || port != context.Connection.LocalPort)
        {
            return false;
        }

        List<StringSegment> names = ["localhost"];
        if (context.Connection.LocalIpAddress is { } local)
        {
            names.Add(local.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{local}]" : local.ToString());
        }

        return HostString.MatchesAny(host.Host, names);
    }

    /// <summary>Whether <paramref name="origin"/> is the origin the request was sent to: what a page of this listener sends.</summary>
    private static bool IsSameOrigin(StringValues origin, HttpRequest request)
    {
        // "null" (a sandboxed page, a redirect across origins) and two Origin headers are never this listener's.
        if (origin.Count != 1 || !Uri.TryCreate(origin[0], UriKind.Absolute, out var uri) || !request.Host.HasValue)
        {
            return false;
        }

        var port = request.Host.Port ?? (request.IsHttps ? 443 : 80);
        return string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Host, request.Host.Host, StringComparison.OrdinalIgnoreCase)
            && uri.Port == port;
    }

    private static bool IsStateChanging(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsPatch(method);

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token.Trim()));

    private static Task RefuseAsync(HttpContext context, int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context);

    // A refused request is the client's business: Debug for a missing token (every dashboard's first call), Information
    // for a request that looks like an attack. The Authorization header is never logged.
    [LoggerMessage(3010, LogLevel.Debug, "Admin request {Method} {Path} refused: no valid bearer token.")]
    private static partial void NoToken(ILogger logger, string method, PathString path);

    [LoggerMessage(3011, LogLevel.Information, "Admin request {Method} {Path} refused: Host '{Host}' does not name the loopback admin listener (DNS rebinding?).")]
    private static partial void ForeignHost(ILogger logger, string method, PathString path, string host);

    [LoggerMessage(3012, LogLevel.Information, "Admin request {Method} {Path} refused: cross-site Origin '{Origin}'.")]
    private static partial void CrossSite(ILogger logger, string method, PathString path, string origin);
}
