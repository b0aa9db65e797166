extern alias proxy;

using System.Text.Json;
using HealthResponse = proxy::StickyLb.Shared.HealthResponse;

namespace StickyLb.Tests.SharedSource;

/// <summary>The <c>/healthz</c> answer's JSON, as SPEC.md gives it: BackendApp writes it, the gateway reads it.</summary>
public sealed class HealthResponseTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void OutsideReplicatedModeTheAnswerHasNoMembers()
    {
        var json = JsonSerializer.Serialize(new HealthResponse("healthy", "2", 5, "memory", 1234, 56789), Web);

        Assert.Equal("""{"status":"healthy","backend":"2","sessions":5,"store":"memory","pid":1234,"memoryBytes":56789}""", json);
    }

    [Fact]
    public void InReplicatedModeTheAnswerCountsTheMembers()
    {
        var json = JsonSerializer.Serialize(new HealthResponse("unhealthy", "1", 0, "replicated", 1, 2, Members: 3), Web);

        Assert.Equal("""{"status":"unhealthy","backend":"1","sessions":0,"store":"replicated","pid":1,"memoryBytes":2,"members":3}""", json);
    }

    [Fact]
    public void TheGatewayReadsWhatABackendWrites()
    {
        var written = new HealthResponse("healthy", "3", 7, "redis", 42, 1 << 20);

        var read = JsonSerializer.Deserialize<HealthResponse>(JsonSerializer.Serialize(written, Web), Web);

        Assert.Equal(written, read);
    }

    [Fact]
    public void TheHealthPathIsHealthz()
    {
        Assert.Equal("/healthz", HealthResponse.Path);
    }
}
