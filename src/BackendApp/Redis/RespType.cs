namespace StickyLb.BackendApp.Redis;

/// <summary>The kinds of RESP2 reply.</summary>
public enum RespType
{
    /// <summary><c>+OK</c></summary>
    SimpleString,

    /// <summary><c>-ERR ...</c></summary>
    Error,

    /// <summary><c>:42</c></summary>
    Number,

    /// <summary><c>$5 hello</c></summary>
    BulkString,

    /// <summary><c>*2 ...</c></summary>
    Array,

    /// <summary><c>$-1</c> or <c>*-1</c></summary>
    Null,
}
