namespace StickyLb.Proxy.Store;

/// <summary>What a store said to <see cref="StoreProbe.PingAsync"/>.</summary>
internal enum StoreAnswer
{
    /// <summary>It answered <c>PING</c>.</summary>
    Answers,

    /// <summary>It answers, but refused the password or user it was given (or wanted one and got none).</summary>
    RefusesCredentials,

    /// <summary>Nothing answered in time: nothing listens there, or what does is not a store, or is hung.</summary>
    Silent,
}
