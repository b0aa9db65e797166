using System.Net.Sockets;
using Yarp.ReverseProxy.Forwarder;

namespace StickyLb.Proxy.Health;

/// <summary>
/// Tells a backend's faults from a client's, from what YARP's forwarder reports
/// (<see cref="IForwarderErrorFeature"/>) and the exception HttpClient threw. Only positive evidence
/// blames a backend: what cannot be told apart is counted as the client's, because a backend taken out
/// of rotation costs every user pinned to it their session.
/// </summary>
internal static class BackendFaults
{
    public static BackendFault Classify(IForwarderErrorFeature? error) =>
        error is null ? BackendFault.None : Classify(error.Error, error.Exception);

    public static BackendFault Classify(ForwarderError error, Exception? exception) => error switch
    {
        ForwarderError.None => BackendFault.None,

        // Failed to connect, send the request head or receive the response head: the exception says which.
        ForwarderError.Request => ClassifyRequestFailure(exception),

        ForwarderError.RequestTimedOut
            or ForwarderError.ResponseHeaders
            or ForwarderError.ResponseBodyDestination
            or ForwarderError.RequestBodyDestination
            or ForwarderError.UpgradeRequestDestination
            or ForwarderError.UpgradeResponseDestination => BackendFault.Response,

        // RequestCreation, RequestCanceled, RequestBodyCanceled, RequestBodyClient, ResponseBodyCanceled,
        // ResponseBodyClient, the Upgrade*Client and Upgrade*Canceled kinds, NoAvailableDestinations, and
        // whatever a later YARP adds: none of them is evidence against the backend.
        _ => BackendFault.Client,
    };

    /// <summary>Whether the request cannot have reached the backend's application: its connection was never made.</summary>
    public static bool NeverConnected(IForwarderErrorFeature? error) =>
        error is { Error: ForwarderError.Request, Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } };

    private static BackendFault ClassifyRequestFailure(Exception? exception)
    {
        if (exception is not HttpRequestException request)
        {
            return BackendFault.Client;
        }

        switch (request.HttpRequestError)
        {
            case HttpRequestError.ConnectionError:
            case HttpRequestError.NameResolutionError:
            case HttpRequestError.ResponseEnded:
                return BackendFault.ConnectionLost;
            case HttpRequestError.InvalidResponse:
            case HttpRequestError.ConfigurationLimitExceeded:
            case HttpRequestError.HttpProtocolError:
            case HttpRequestError.SecureConnectionError:
            case HttpRequestError.VersionNegotiationError:
                return BackendFault.Response;
            default:
                // HttpClient reports a reset as an Unknown error around the socket's; a request it could
                // not write (non-ASCII header values, say) is Unknown with no socket error at all.
                return IsConnectionReset(request.InnerException) ? BackendFault.ConnectionLost : BackendFault.Client;
        }
    }

    private static bool IsConnectionReset(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted })
            {
                return true;
            }
        }

        return false;
    }
}
