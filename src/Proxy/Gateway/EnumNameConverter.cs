using System.ComponentModel;
using System.Globalization;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// How configuration binding reads one of the gateway's enums: one of its names in any case, never a number
/// or a comma-separated list of names (which <see cref="Enum.Parse(Type, string, bool)"/> would also take),
/// plus the aliases a subclass adds. <see cref="Expected"/> says what is allowed, for the one-line error.
/// </summary>
internal class EnumNameConverter<T> : EnumConverter, IExpectedValues
    where T : struct, Enum
{
    public EnumNameConverter()
        : base(typeof(T))
    {
    }

    /// <summary>What a value may be, as the error for a bad one says it.</summary>
    public virtual string Expected =>
        string.Join(", ", Enum.GetNames<T>()[..^1].Select(n => n.ToLowerInvariant())) + " or " + Enum.GetNames<T>()[^1].ToLowerInvariant();

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text
            ? TryParse(text, out var result) ? result : throw new FormatException($"'{text}' is not one of {Expected}.")
            : base.ConvertFrom(context, culture, value);

    /// <summary>Parses <paramref name="text"/> as the configuration would: exactly one of the names, in any case.</summary>
    public virtual bool TryParse(string text, out T result)
    {
        var name = Enum.GetNames<T>().FirstOrDefault(n => n.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase));
        result = name is null ? default : Enum.Parse<T>(name);
        return name is not null;
    }
}

/// <summary>A converter that can say what values it takes, for the one-line error about one it does not.</summary>
internal interface IExpectedValues
{
    string Expected { get; }
}

/// <summary>Store modes: memory, redis or replicated.</summary>
internal sealed class StoreModeConverter : EnumNameConverter<StoreMode>;

/// <summary>Replication: sync or async.</summary>
internal sealed class ReplicationModeConverter : EnumNameConverter<ReplicationMode>;

/// <summary>YARP's failure policy names in any case, and <c>503</c> for <see cref="FailoverMode.Return503Error"/>.</summary>
internal sealed class FailoverModeConverter : EnumNameConverter<FailoverMode>
{
    public override string Expected => "Redistribute or Return503Error (alias 503), in any case";

    public override bool TryParse(string text, out FailoverMode result)
    {
        if (text == "503")
        {
            result = FailoverMode.Return503Error;
            return true;
        }

        return base.TryParse(text, out result);
    }
}

/// <summary><c>on</c> or <c>off</c>, or <c>true</c> or <c>false</c> as appsettings.json would write it, in any case.</summary>
internal sealed class AffinityModeConverter : EnumNameConverter<AffinityMode>
{
    public override string Expected => "on or off";

    public override bool TryParse(string text, out AffinityMode result)
    {
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            result = text.Equals("true", StringComparison.OrdinalIgnoreCase) ? AffinityMode.On : AffinityMode.Off;
            return true;
        }

        return base.TryParse(text, out result);
    }
}
