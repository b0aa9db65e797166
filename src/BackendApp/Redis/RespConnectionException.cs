namespace StickyLb.BackendApp.Redis;

/// <summary>The store could not be reached, or the connection to it broke or stalled.</summary>
public sealed class RespConnectionException : Exception
{
    public RespConnectionException()
    {
    }

    public RespConnectionException(string message)
        : base(message)
    {
    }

    public RespConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
