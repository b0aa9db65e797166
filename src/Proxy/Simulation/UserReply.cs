using System.Net;
using System.Text.Json;

namespace StickyLb.Proxy.Simulation;

/// <summary>What one request of a simulated user got back.</summary>
/// <param name="Status">The HTTP status, or null when no response came.</param>
/// <param name="Body">The JSON body, or default when there was none.</param>
/// <param name="Backend">The <c>X-Backend</c> header, or null.</param>
/// <param name="Latency">From sending the request to reading the whole body.</param>
internal readonly record struct UserReply(HttpStatusCode? Status, JsonElement Body, string? Backend, TimeSpan Latency)
{
    public bool IsSuccess => Status is >= HttpStatusCode.OK and < HttpStatusCode.MultipleChoices;

    /// <summary>A 5xx or no response at all.</summary>
    public bool IsFailure => Status is null or >= HttpStatusCode.InternalServerError;

    public string? Text(string property) =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public int Number(string property) =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : 0;

    /// <summary>The strings of the array <paramref name="property"/>; empty when there is none.</summary>
    public IEnumerable<string> Texts(string property) =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)
            : [];

    public int ArrayLength(string property) =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array ? value.GetArrayLength() : 0;
}
