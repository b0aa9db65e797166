using System.Net.Sockets;
using StickyLb.Proxy.Health;
using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Tests.Proxy.Health;

/// <summary>Whose fault a failed request was: only positive evidence blames the backend.</summary>
public sealed class BackendFaultsTests
{
    [Theory]
    [InlineData(HttpRequestError.ConnectionError, nameof(BackendFault.ConnectionLost))]
    [InlineData(HttpRequestError.NameResolutionError, nameof(BackendFault.ConnectionLost))]
    [InlineData(HttpRequestError.ResponseEnded, nameof(BackendFault.ConnectionLost))]
    [InlineData(HttpRequestError.InvalidResponse, nameof(BackendFault.Response))]
    [InlineData(HttpRequestError.ConfigurationLimitExceeded, nameof(BackendFault.Response))]
    [InlineData(HttpRequestError.Unknown, nameof(BackendFault.Client))]
    public void ARequestFailureIsJudgedByWhatHttpClientSaysOfIt(HttpRequestError kind, string expected)
    {
        var exception = new HttpRequestException(kind, "failed");

        Assert.Equal(expected, BackendFaults.Classify(ForwarderError.Request, exception).ToString());
    }

    [Fact]
    public void AConnectionResetBeforeTheResponseIsALostConnection()
    {
        // What HttpClient throws when a backend's process dies with the request unanswered.
        var reset = new HttpRequestException(
            HttpRequestError.Unknown, "An error occurred while sending the request.", new IOException("reset", new SocketException((int)SocketError.ConnectionReset)));

        Assert.Equal(BackendFault.ConnectionLost, BackendFaults.Classify(ForwarderError.Request, reset));
    }

    [Fact]
    public void AHeaderHttpClientCannotSendIsTheClientsFault()
    {
        // What HttpClient throws for a non-ASCII request header value: no socket error anywhere.
        var unsendable = new HttpRequestException("Request headers must contain only ASCII characters.");

        Assert.Equal(BackendFault.Client, BackendFaults.Classify(ForwarderError.Request, unsendable));
    }

    [Theory]
    [InlineData(ForwarderError.None, nameof(BackendFault.None))]
    [InlineData(ForwarderError.RequestTimedOut, nameof(BackendFault.Response))]
    [InlineData(ForwarderError.ResponseHeaders, nameof(BackendFault.Response))]
    [InlineData(ForwarderError.ResponseBodyDestination, nameof(BackendFault.Response))]
    [InlineData(ForwarderError.RequestBodyDestination, nameof(BackendFault.Response))]
    [InlineData(ForwarderError.RequestCreation, nameof(BackendFault.Client))]
    [InlineData(ForwarderError.RequestCanceled, nameof(BackendFault.Client))]
    [InlineData(ForwarderError.RequestBodyCanceled, nameof(BackendFault.Client))]
    [InlineData(ForwarderError.RequestBodyClient, nameof(BackendFault.Client))]
    [InlineData(ForwarderError.ResponseBodyCanceled, nameof(BackendFault.Client))]
    [InlineData(ForwarderError.ResponseBodyClient, nameof(BackendFault.Client))]
    [InlineData(ForwarderError.UpgradeRequestClient, nameof(BackendFault.Client))]
    [InlineData(ForwarderError.NoAvailableDestinations, nameof(BackendFault.Client))]
    public void OnlyTheBackendsSideOfTheExchangeCounts(ForwarderError error, string expected)
    {
        Assert.Equal(expected, BackendFaults.Classify(error, exception: null).ToString());
    }

    [Fact]
    public void OnlyARefusedConnectionProvesTheRequestNeverArrived()
    {
        Assert.True(BackendFaults.NeverConnected(new Failure(ForwarderError.Request, new HttpRequestException(HttpRequestError.ConnectionError, "refused"))));
        Assert.False(BackendFaults.NeverConnected(new Failure(ForwarderError.Request, new HttpRequestException(HttpRequestError.ResponseEnded, "ended"))));
        Assert.False(BackendFaults.NeverConnected(null));
    }

    private sealed record Failure(ForwarderError Error, Exception? Exception) : IForwarderErrorFeature;
}
