using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Odyssey.Emulator.Api;

/// <summary>JSON answers in the service's shapes: bodies as PROTOCOL.md names them, errors FastAPI-style <c>{"detail": …}</c>.</summary>
internal static class ApiResults
{
    public static IResult Json(JsonNode body, int status = StatusCodes.Status200OK) =>
        Results.Text(body.ToJsonString(), "application/json", System.Text.Encoding.UTF8, status);

    public static IResult Detail(int status, string detail) => Json(new JsonObject { ["detail"] = detail }, status);

    public static IResult NotAuthorized() => Detail(StatusCodes.Status401Unauthorized, "Not authorized");

    /// <summary>FastAPI's request-validation shape: <c>{"detail":[{"type","loc","msg","input"}]}</c>, status 422.</summary>
    public static IResult Invalid(params ValidationProblem[] problems)
    {
        var list = new JsonArray();
        foreach (var problem in problems)
        {
            var loc = new JsonArray();
            foreach (var part in problem.Location)
            {
                loc.Add(part switch { int i => JsonValue.Create(i), _ => JsonValue.Create(part.ToString()) });
            }

            list.Add(new JsonObject
            {
                ["type"] = problem.Type,
                ["loc"] = loc,
                ["msg"] = problem.Message,
                ["input"] = problem.Input?.DeepClone(),
            });
        }

        return Json(new JsonObject { ["detail"] = list }, StatusCodes.Status422UnprocessableEntity);
    }

    /// <summary>The request body as a JSON object, or the 422 FastAPI gives for a missing or non-object body.</summary>
    public static async Task<(JsonObject? Body, IResult? Error)> ReadObjectAsync(HttpRequest request)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            return (null, Invalid(new ValidationProblem("json_invalid", ["body", 0], $"JSON decode error: {e.Message}", null)));
        }

        if (node is not JsonObject body)
        {
            return (null, Invalid(new ValidationProblem(node is null ? "missing" : "model_attributes_type", ["body"], node is null ? "Field required" : "Input should be a valid dictionary or object to extract fields from", node)));
        }

        return (body, null);
    }

    public static string Iso8601(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One FastAPI validation error: its type, where (e.g. body → api_key), the message and the offending input.</summary>
internal sealed record ValidationProblem(string Type, object[] Location, string Message, JsonNode? Input);
