namespace StickyLb.BackendApp.Redis;

/// <summary>The server answered a command with an error reply (<c>-ERR ...</c>).</summary>
public sealed class RespServerException : Exception
{
    public RespServerException()
    {
    }

    public RespServerException(string message)
        : base(message)
    {
    }

    public RespServerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
