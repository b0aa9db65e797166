using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using StickyLb.BackendApp.Endpoints;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// What a backend believes of a client behind the real gateway process: the gateway's <c>X-Forwarded-*</c>,
/// never the client's. The client connects from 127.0.0.2 so that its address differs from the gateway's
/// (127.0.0.1): a backend that ignored <c>X-Forwarded-For</c> would show 127.0.0.1.
/// </summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class ForwardedClientTests(ITestOutputHelper output)
{
    private static readonly IPAddress ClientAddress = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task TheBackendSeesTheClientsAddressSchemeAndHost()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        using var http = CreateClientFrom(ClientAddress, gateway.GatewayUrl);

        using var response = await http.GetAsync(ClientEndpoints.Path);

        var client = (await response.Content.ReadFromJsonAsync<ClientResponse>())!;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new ClientResponse(response.Headers.GetValues("X-Backend").Single(), "127.0.0.2", "http", gateway.GatewayUrl.Authority), client);
    }

    [Fact]
    public async Task WhatAClientWritesInXForwardedHeadersNeverReachesTheBackendsView()
    {
        await using var gateway = await GatewayProcess.StartAsync(output);
        using var http = CreateClientFrom(ClientAddress, gateway.GatewayUrl);

        var seen = new List<ClientResponse>();
        for (var i = 0; i < 3; i++)
        {
            // A fresh client each time (no cookie): round robin takes the forged request to every backend.
            using var request = new HttpRequestMessage(HttpMethod.Get, ClientEndpoints.Path)
            {
                Headers =
                {
                    { "X-Forwarded-For", "6.6.6.6" },
                    { "X-Forwarded-Proto", "https" },
                    { "X-Forwarded-Host", "evil" },
                },
            };
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.Add((await response.Content.ReadFromJsonAsync<ClientResponse>())!);
        }

        Assert.Equal(["1", "2", "3"], seen.Select(c => c.Backend).Order());
        Assert.All(seen, c => Assert.Equal(("127.0.0.2", "http", gateway.GatewayUrl.Authority), (c.RemoteIp, c.Scheme, c.Host)));
    }

    /// <summary>An HTTP client whose connections leave from <paramref name="source"/>, without cookies.</summary>
    private static HttpClient CreateClientFrom(IPAddress source, Uri gateway) =>
        new(new SocketsHttpHandler
        {
            UseCookies = false,
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        {
            BaseAddress = gateway,
            Timeout = TimeSpan.FromSeconds(10),
        };
}
