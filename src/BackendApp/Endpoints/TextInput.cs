using Microsoft.AspNetCore.Http.HttpResults;
using StickyLb.Shared;

namespace StickyLb.BackendApp.Endpoints;

/// <summary>Checks the short text fields of request bodies (a user name, a cart item).</summary>
internal static class TextInput
{
    /// <summary>The longest accepted value, in characters.</summary>
    public const int MaxLength = 64;

    /// <summary>Present, not blank, at most 64 characters, no control characters; else a 400 problem.</summary>
    public static ProblemHttpResult? Validate(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return JsonBody.BadRequest($"'{field}' is required and must not be empty.");
        }

        if (value.Length > MaxLength)
        {
            return JsonBody.BadRequest($"'{field}' must be at most {MaxLength} characters (it has {value.Length}).");
        }

        return value.Any(char.IsControl) ? JsonBody.BadRequest($"'{field}' must not contain control characters.") : null;
    }
}
