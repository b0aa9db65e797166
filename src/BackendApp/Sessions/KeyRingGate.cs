using Microsoft.AspNetCore.DataProtection;

namespace StickyLb.BackendApp.Sessions;

/// <summary>
/// Runs before the session middleware and makes sure this backend holds the Data Protection key ring
/// before a session cookie is read. The session middleware reads the cookie with Data Protection and
/// treats any failure as "no cookie" (it logs it and starts a new, empty session): a key ring that could
/// not be read from the store for a moment (a backend started while the store was down, a first read
/// that timed out, a replicated backend that joined a moment later) would log the user out for good,
/// with a new session cookie in the same answer. Until the ring has been read once, this middleware
/// reads it (a throw-away protect) and a store that does not answer becomes the 503 problem
/// (<see cref="StoreOutageExceptionHandler"/>), so the user keeps the cookie and the next request
/// finds the session. Once read, Data Protection keeps the ring in memory and serves it even when a
/// later refresh fails: this costs one field read per request.
/// </summary>
internal sealed class KeyRingGate(RequestDelegate next, IDataProtectionProvider provider)
{
    private readonly IDataProtector _probe = provider.CreateProtector(nameof(KeyRingGate));
    private volatile bool _loaded;

    public Task InvokeAsync(HttpContext context)
    {
        if (!_loaded)
        {
            // Throws while the key ring cannot be read; UseExceptionHandler answers 503.
            _probe.Protect([1]);
            _loaded = true;
        }

        return next(context);
    }
}
