using StickyLb.BackendApp.Sessions;

namespace StickyLb.Tests.Backend.Sessions;

public sealed class SessionStoreFilterTests
{
    [Theory]
    [InlineData(
        "Timeout awaiting response (outbound=0KiB, inbound=0KiB, 924ms elapsed, timeout is 500ms), command=HMGET, next: HMGET, inst: 0, qu: 0, IOCP: (Busy=0,Free=1000,Min=1,Max=1000)",
        "Timeout awaiting response")]
    [InlineData(
        "No connection is active/available to service this operation: HMGET; It was not possible to connect to the redis server(s). ConnectTimeout, mc: 1/1/0",
        "No connection is active/available to service this operation: HMGET")]
    [InlineData("The store went away.", "The store went away")]
    public void AnOutageIsLoggedWithTheClientsReasonWithoutItsDiagnostics(string message, string expected) =>
        Assert.Equal(expected, SessionStoreFilter.Reason(message));
}
