using System.Text.Json.Serialization;

namespace StickyLb.BackendApp.Sessions;

/// <summary>Source-generated JSON for the values stored in a session.</summary>
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class SessionJsonContext : JsonSerializerContext;
