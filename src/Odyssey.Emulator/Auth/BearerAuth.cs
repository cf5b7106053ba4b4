using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Odyssey.Emulator.Api;

namespace Odyssey.Emulator.Auth;

/// <summary>
/// The one home of the <c>Authorization: Bearer &lt;access_token&gt;</c> check (PROTOCOL.md §1 "Bearer"):
/// endpoints mapped on <see cref="Group"/> answer 401 <c>{"detail":"Not authorized"}</c> before their handler
/// runs (so before any body is read or validated), and their handler reads the caller's key with
/// <see cref="ApiKey"/>.
/// </summary>
internal static class BearerAuth
{
    private const string ApiKeyItem = "odyssey.api_key";

    /// <summary>A route group whose endpoints all need a valid access token.</summary>
    public static RouteGroupBuilder Group(IEndpointRouteBuilder app, EmulatorContext context)
    {
        var group = app.MapGroup("");
        group.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            if (context.AccessTokens.Authenticate(http.Request.Headers.Authorization) is not { } apiKey)
            {
                return ApiResults.NotAuthorized();
            }

            http.Items[ApiKeyItem] = apiKey;
            return await next(invocation);
        });
        return group;
    }

    /// <summary>The API key behind the request's access token; only valid inside a <see cref="Group"/> endpoint.</summary>
    public static string ApiKey(HttpRequest request) =>
        request.HttpContext.Items[ApiKeyItem] as string
            ?? throw new InvalidOperationException($"{request.Path}: BearerAuth.ApiKey read outside a BearerAuth group endpoint");
}
