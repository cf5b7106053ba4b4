using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Odyssey.Emulator.Auth;

/// <summary>
/// Session tokens: HS256 JWTs (RFC 7519) with a <c>session_id</c> claim, signed with a secret the server
/// draws at start (PROTOCOL.md §2 step 5; clients read the claim without verifying, the WebSocket verifies).
/// </summary>
internal sealed class SessionTokens(TimeProvider time)
{
    /// <summary>HS256 key size: the hash's block-sized 256 bits (RFC 7518 §3.2 asks for at least the hash size).</summary>
    private const int SecretBytes = 32;

    private static readonly string Header = Base64Url.Encode("""{"alg":"HS256","typ":"JWT"}"""u8);

    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(SecretBytes);

    public string Issue(string sessionId, TimeSpan lifetime)
    {
        var now = time.GetUtcNow();
        var payload = new JsonObject
        {
            ["session_id"] = sessionId,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
            ["iss"] = "odyssey-emulator",
        };
        var signingInput = Header + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        return signingInput + "." + Base64Url.Encode(Sign(signingInput));
    }

    /// <summary>Checks signature, algorithm and expiry; the session id on success, else why not (for the 403 detail).</summary>
    public bool TryValidate(string? token, out string sessionId, out string problem)
    {
        sessionId = "";
        if (string.IsNullOrEmpty(token))
        {
            problem = "missing session token (query parameter 'token')";
            return false;
        }

        var parts = token.Split('.');
        if (parts.Length != 3 || !Base64Url.TryDecode(parts[0], out var header) || !Base64Url.TryDecode(parts[1], out var payload) || !Base64Url.TryDecode(parts[2], out var signature))
        {
            problem = "malformed session token: expected three base64url parts";
            return false;
        }

        if (!CryptographicOperations.FixedTimeEquals(signature, Sign(parts[0] + "." + parts[1])))
        {
            problem = "invalid session token signature";
            return false;
        }

        try
        {
            if (JsonNode.Parse(header)?["alg"]?.GetValue<string>() != "HS256")
            {
                problem = "session token algorithm is not HS256";
                return false;
            }

            var claims = JsonNode.Parse(payload);
            var id = claims?["session_id"]?.GetValue<string>();
            var expires = claims?["exp"]?.GetValue<long>();
            if (id is null || expires is null)
            {
                problem = "session token lacks the session_id or exp claim";
                return false;
            }

            if (DateTimeOffset.FromUnixTimeSeconds(expires.Value) <= time.GetUtcNow())
            {
                problem = "session token expired";
                return false;
            }

            sessionId = id;
            problem = "";
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            problem = "session token header or claims are not JSON of the expected shape";
            return false;
        }
    }

    private byte[] Sign(string signingInput) => HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes(signingInput));
}
