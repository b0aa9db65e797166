namespace StickyLb.Proxy.Backends;

/// <summary>A backend process could not be started or did not become ready; the message is one line for a person.</summary>
internal sealed class BackendStartException : Exception
{
    public BackendStartException()
    {
    }

    public BackendStartException(string message)
        : base(message)
    {
    }

    public BackendStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
