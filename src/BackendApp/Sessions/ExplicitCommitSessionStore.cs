using Microsoft.AspNetCore.Session;

namespace StickyLb.BackendApp.Sessions;

/// <summary>
/// Sessions whose endpoints load and commit them explicitly (<see cref="SessionStoreFilter"/>). The
/// session middleware commits once more at the end of every request: after an explicit commit that
/// would be a second round trip to the store, and after a store failure a second failure and an
/// error in the log. This store hands out sessions that skip that redundant commit.
/// </summary>
internal sealed class ExplicitCommitSessionStore(DistributedSessionStore inner) : ISessionStore
{
    public ISession Create(string sessionKey, TimeSpan idleTimeout, TimeSpan ioTimeout, Func<bool> tryEstablishSession, bool isNewSessionKey) =>
        new ExplicitCommitSession(inner.Create(sessionKey, idleTimeout, ioTimeout, tryEstablishSession, isNewSessionKey));

    private sealed class ExplicitCommitSession(ISession inner) : ISession
    {
        private bool _settled;

        public bool IsAvailable => inner.IsAvailable;

        public string Id => inner.Id;

        public IEnumerable<string> Keys => inner.Keys;

        public async Task LoadAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.LoadAsync(cancellationToken);
            }
            catch
            {
                _settled = true;
                throw;
            }
        }

        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            if (_settled)
            {
                return;
            }

            // Settled either way: committed, or failed and already answered with a 503.
            _settled = true;
            await inner.CommitAsync(cancellationToken);
        }

        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? value) => inner.TryGetValue(key, out value);

        public void Set(string key, byte[] value)
        {
            _settled = false;
            inner.Set(key, value);
        }

        public void Remove(string key)
        {
            _settled = false;
            inner.Remove(key);
        }

        public void Clear()
        {
            _settled = false;
            inner.Clear();
        }
    }
}
