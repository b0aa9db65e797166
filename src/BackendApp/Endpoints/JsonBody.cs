using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json;

namespace StickyLb.BackendApp.Endpoints;

/// <summary>
/// Reads a JSON request body and turns every way it can be wrong (content type, syntax, shape)
/// into one 400 problem, rather than the framework's mix of 415 and empty 400 answers.
/// </summary>
internal static class JsonBody
{
    /// <summary>The longest accepted text value (a user name, a cart item), in characters.</summary>
    public const int MaxTextLength = 64;

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, BadRequest("The request body must be JSON with Content-Type: application/json."));
        }

        try
        {
            var value = await request.ReadFromJsonAsync<T>(request.HttpContext.RequestAborted);
            return value is null ? (null, BadRequest("The request body must be a JSON object.")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, BadRequest("The request body is not valid JSON: " + ex.Message));
        }
    }

    /// <summary>Checks a required short text field: present, not blank, at most 64 characters, printable.</summary>
    public static ProblemHttpResult? ValidateText(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return BadRequest($"'{field}' is required and must not be empty.");
        }

        if (value.Length > MaxTextLength)
        {
            return BadRequest($"'{field}' must be at most {MaxTextLength} characters (it has {value.Length}).");
        }

        return value.Any(char.IsControl) ? BadRequest($"'{field}' must not contain control characters.") : null;
    }

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: detail);
}
