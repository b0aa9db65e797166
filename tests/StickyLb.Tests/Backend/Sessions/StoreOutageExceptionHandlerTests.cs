using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using StickyLb.BackendApp.Sessions;

namespace StickyLb.Tests.Backend.Sessions;

public sealed class StoreOutageExceptionHandlerTests
{
    public static TheoryData<Exception> StoreOutages() => new()
    {
        new CryptographicException("The key ring could not be read."),
        new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "No connection is active/available to service this operation."),
        new RedisTimeoutException(CommandFlags.None, "Timeout awaiting response.", CommandStatus.Sent),
    };

    [Theory]
    [MemberData(nameof(StoreOutages))]
    public async Task AStoreOutageThatEscapesTheSessionFilterIsThe503Problem(Exception exception)
    {
        var context = NewContext();

        var handled = await new StoreOutageExceptionHandler(NullLogger<StoreOutageExceptionHandler>.Instance).TryHandleAsync(context, exception, CancellationToken.None);

        Assert.True(handled);
        Assert.Equal((int)HttpStatusCode.ServiceUnavailable, context.Response.StatusCode);
        Assert.Equal("application/problem+json", context.Response.ContentType);
        context.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(context.Response.Body);
        Assert.Equal("Session store unavailable", problem.RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public async Task AnyOtherExceptionIsLeftToTheDefaultHandler()
    {
        var context = NewContext();

        var handled = await new StoreOutageExceptionHandler(NullLogger<StoreOutageExceptionHandler>.Instance).TryHandleAsync(context, new InvalidOperationException(), CancellationToken.None);

        Assert.False(handled);
        Assert.Equal(0, context.Response.Body.Length);
    }

    private static DefaultHttpContext NewContext() => new()
    {
        RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider(),
        Response = { Body = new MemoryStream() },
    };
}
