using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Odyssey.Emulator.Auth;

/// <summary>Opaque bearer tokens handed out by POST /auth/token, each bound to the API key that asked.</summary>
internal sealed class AccessTokens(TimeProvider time, TimeSpan lifetime)
{
    /// <summary>Random bytes per token: 256 bits, as unguessable as the HS256 secret.</summary>
    private const int TokenBytes = 32;

    private readonly ConcurrentDictionary<string, (string ApiKey, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);

    public TimeSpan Lifetime => lifetime;

    public string Issue(string apiKey)
    {
        var token = Base64Url.Encode(RandomNumberGenerator.GetBytes(TokenBytes));
        _tokens[token] = (apiKey, time.GetUtcNow() + lifetime);
        return token;
    }

    /// <summary>The API key behind <c>Authorization: Bearer …</c>, or null when absent, unknown or expired.</summary>
    public string? Authenticate(string? authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = authorization[Scheme.Length..].Trim();
        if (!_tokens.TryGetValue(token, out var entry))
        {
            return null;
        }

        if (entry.Expires <= time.GetUtcNow())
        {
            _tokens.TryRemove(token, out _);
            return null;
        }

        return entry.ApiKey;
    }
}
