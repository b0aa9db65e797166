using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace StickyLb.Shared;

/// <summary>
/// Reads a JSON request body and turns every way it can be wrong (content type, syntax, shape)
/// into one 400 problem, rather than the framework's mix of 415 and empty 400 answers.
/// Shared as source by the gateway's admin API and BackendApp.
/// </summary>
internal static class JsonBody
{
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

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: detail);
}
