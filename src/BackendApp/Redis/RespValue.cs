using System.Text;

namespace StickyLb.BackendApp.Redis;

/// <summary>One RESP2 reply.</summary>
public sealed class RespValue
{
    /// <summary>The null bulk string or array.</summary>
    public static readonly RespValue Null = new(RespType.Null);

    private RespValue(RespType type, string? text = null, long integer = 0, byte[]? bulk = null, RespValue[]? items = null)
    {
        Type = type;
        Text = text;
        Number = integer;
        Bulk = bulk;
        Items = items;
    }

    public RespType Type { get; }

    /// <summary>The text of a simple string or an error.</summary>
    public string? Text { get; }

    public long Number { get; }

    /// <summary>The bytes of a bulk string.</summary>
    public byte[]? Bulk { get; }

    /// <summary>The elements of an array.</summary>
    public IReadOnlyList<RespValue>? Items { get; }

    public bool IsNull => Type == RespType.Null;

    public static RespValue Simple(string text) => new(RespType.SimpleString, text);

    public static RespValue Error(string text) => new(RespType.Error, text);

    public static RespValue FromInteger(long value) => new(RespType.Number, integer: value);

    public static RespValue FromBulk(byte[] bytes) => new(RespType.BulkString, bulk: bytes);

    public static RespValue FromArray(RespValue[] items) => new(RespType.Array, items: items);

    /// <summary>Throws <see cref="RespServerException"/> for an error reply, else returns this reply.</summary>
    public RespValue ThrowIfError() => Type == RespType.Error ? throw new RespServerException(Text ?? "") : this;

    /// <summary>A bulk string as UTF-8 text, a simple string's text, or null.</summary>
    public string? AsString() => Type switch
    {
        RespType.BulkString => Encoding.UTF8.GetString(Bulk!),
        RespType.SimpleString => Text,
        RespType.Number => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    public override string ToString() => Type switch
    {
        RespType.Array => $"[{string.Join(", ", Items!)}]",
        RespType.Null => "(nil)",
        RespType.Error => "(error) " + Text,
        _ => AsString() ?? "",
    };
}
