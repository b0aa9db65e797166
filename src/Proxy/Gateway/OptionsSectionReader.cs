using System.ComponentModel;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// Binds an options class from its configuration section before the host is built, the way start-up will, so that a
/// value the binder cannot convert stops start-up with one line naming the key, the value and what is allowed.
/// </summary>
internal static class OptionsSectionReader
{
    /// <summary>The options bound from <paramref name="section"/>, or the line saying which value does not convert and what <paramref name="expected"/> says of it.</summary>
    public static bool TryBind<TOptions>(IConfigurationSection section, Func<string, string> expected, out TOptions options, out string error)
        where TOptions : new()
    {
        options = new TOptions();
        try
        {
            section.Bind(options);
            error = "";
            return true;
        }
        catch (InvalidOperationException)
        {
            error = Unconvertible<TOptions>(section, expected);
            return false;
        }
    }

    /// <summary>The one-line error for <paramref name="value"/> of <paramref name="property"/> in the section at <paramref name="section"/>.</summary>
    public static string Invalid(string section, string property, string value, string expected) =>
        $"Invalid {section}:{property} '{value}': expected {expected}.";

    private static string Unconvertible<TOptions>(IConfigurationSection section, Func<string, string> expected)
    {
        foreach (var property in typeof(TOptions).GetProperties().Where(p => p.CanWrite))
        {
            if (section[property.Name] is not { } value)
            {
                continue;
            }

            try
            {
                TypeDescriptor.GetConverter(property.PropertyType).ConvertFromInvariantString(value);
            }
            catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException or OverflowException)
            {
                return Invalid(section.Path, property.Name, value, expected(property.Name));
            }
        }

        return $"Invalid {section.Path} section in the configuration.";
    }
}
