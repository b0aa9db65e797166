namespace StickyLb.Proxy.Store;

/// <summary>The shared store could not be started or reached; the message is one line for a person.</summary>
internal sealed class StoreStartException : Exception
{
    public StoreStartException()
    {
    }

    public StoreStartException(string message)
        : base(message)
    {
    }

    public StoreStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
