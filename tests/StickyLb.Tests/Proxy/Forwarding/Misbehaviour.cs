namespace StickyLb.Tests.Proxy.Forwarding;

/// <summary>
/// A way for a backend to frame a response wrongly, from RFC 9112 section 6 (message body length) and
/// its neighbours: each leaves bytes on the connection that a careless client would read as the answer
/// to the next request, and most of those bytes are a whole response (<see cref="Smuggled"/>) that no
/// user asked for. A request for <c>/bad/{name}/...</c> gets it from <see cref="MisbehavingBackend"/>.
/// </summary>
internal sealed record Misbehaviour(string Name, string Method, Func<string, string> Response, bool AnswersBeforeBody = false, string? Later = null)
{
    /// <summary>How long after the response <see cref="Later"/> bytes follow: the connection is idle by then.</summary>
    public static readonly TimeSpan LaterDelay = TimeSpan.FromMilliseconds(20);

    /// <summary>The body of the response nobody asked for.</summary>
    public const string StolenBody = "stolen";

    /// <summary>A whole, well-formed response that belongs to no request.</summary>
    public const string Smuggled = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nX-Echo: stolen\r\n\r\n" + StolenBody;

    public static IReadOnlyList<Misbehaviour> All { get; } =
    [
        // 6.3: the Content-Length is smaller than what follows.
        new("length-too-small", "GET", _ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + Smuggled),
        // 6.3: two different Content-Length values.
        new("two-lengths", "GET", _ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 64\r\n\r\nok" + Smuggled),
        // 6.3: Transfer-Encoding and Content-Length together (chunked wins, and the connection must close).
        new("chunked-and-length", "GET", _ => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 100\r\n\r\n2\r\nok\r\n0\r\n\r\n" + Smuggled),
        // 6.3: bytes after the last chunk.
        new("bytes-after-chunked", "GET", _ => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" + Smuggled),
        // 7.1: a chunk size that is not hexadecimal.
        new("bad-chunk-size", "GET", _ => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n" + Smuggled),
        // 6.3: a Transfer-Encoding that does not end in chunked: the body runs to the close, which never comes.
        new("encoding-not-chunked", "GET", _ => "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n" + Smuggled),
        // 6.3: 204 and 304 answers end at their head, whatever they say of a body.
        new("no-content-with-body", "GET", _ => "HTTP/1.1 204 No Content\r\n\r\n" + Smuggled),
        new("not-modified-with-body", "GET", _ => "HTTP/1.1 304 Not Modified\r\nContent-Length: 6\r\n\r\n" + Smuggled),
        // 6.3: the answer to HEAD has no body, whatever its Content-Length says.
        new("head-with-body", "HEAD", _ => $"HTTP/1.1 200 OK\r\nContent-Length: {Smuggled.Length}\r\n\r\n" + Smuggled),
        // 9.3: an answer before the request body was read, the body then read as if nothing happened.
        new("answer-before-body", "POST", path => Echo(path), AnswersBeforeBody: true),
        // 9.3: two answers to one request.
        new("two-answers", "GET", path => Echo(path) + Smuggled),
        // The same, the second answer arriving once the connection is idle in the pool; the same for
        // bytes beyond a Content-Length and after a chunked body.
        new("second-answer-later", "GET", Echo, Later: Smuggled),
        new("length-too-small-then-more-later", "GET", _ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Later: Smuggled),
        new("bytes-after-chunked-later", "GET", _ => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", Later: Smuggled),
        // 5.2: a header folded over two lines (obs-fold).
        new("folded-header", "GET", _ => "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok" + Smuggled),
        // 2.2: lines ended by a bare LF.
        new("bare-line-feeds", "GET", _ => "HTTP/1.1 200 OK\nContent-Length: 2\n\nok" + Smuggled),
        // 6.3: a negative Content-Length.
        new("negative-length", "GET", _ => "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n" + Smuggled),
        // 15.2: informational answers before the real one are legal and must not shift anything.
        new("early-hints", "GET", path => "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + Echo(path)),
    ];

    /// <summary>The well-formed answer a request for <paramref name="path"/> should get: the path, back.</summary>
    public static string Echo(string path) => $"HTTP/1.1 200 OK\r\nContent-Length: {path.Length}\r\nX-Echo: {path}\r\n\r\n{path}";

    public override string ToString() => Name;
}
