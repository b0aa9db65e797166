namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// A <see cref="RawBackend"/> that answers every request with its own path (<see cref="Misbehaviour.Echo"/>),
/// so that a client can tell its own response from anyone else's, except a request for
/// <c>/bad/{misbehaviour}/...</c>, which gets that misbehaviour's bytes. A connection stays open for
/// as long as the gateway keeps it.
/// </summary>
internal static class MisbehavingBackend
{
    public static RawBackend Start() => RawBackend.Start(async connection =>
    {
        while (await connection.ReadHeadAsync() is { } head)
        {
            var path = head.Split(' ', 3)[1];
            var misbehaviour = Misbehaviour.All.FirstOrDefault(m => path.StartsWith($"/bad/{m.Name}/", StringComparison.Ordinal));
            if (misbehaviour is { AnswersBeforeBody: true })
            {
                await connection.SendAsync(misbehaviour.Response(path));
                await connection.ReadBodyAsync(head);
                continue;
            }

            await connection.ReadBodyAsync(head);
            await connection.SendAsync(misbehaviour is null ? Misbehaviour.Echo(path) : misbehaviour.Response(path));
            if (misbehaviour?.Later is { } later)
            {
                await Task.Delay(Misbehaviour.LaterDelay, connection.Stopping);
                await connection.SendAsync(later);
            }
        }
    });
}
