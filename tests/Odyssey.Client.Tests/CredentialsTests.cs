using System.Text.Json;
using Odyssey.Client.Tests.Fakes;

namespace Odyssey.Client.Tests;

public sealed class CredentialsTests
{
    [Fact]
    public void ClientCredentials_ToJson_WritesSnakeCaseWithSingleL()
    {
        var credentials = new ClientCredentials
        {
            SessionId = "s1",
            SignalingUrl = "wss://sig.example",
            SessionToken = FakeOdyssey.Jwt("s1"),
            ExpiresIn = 600,
            Capabilities = new SessionCapabilities { ImageToVideo = true },
        };

        var json = JsonDocument.Parse(credentials.ToJson()).RootElement;

        Assert.Equal("s1", json.GetProperty("session_id").GetString());
        Assert.Equal("wss://sig.example", json.GetProperty("signaling_url").GetString());
        Assert.Equal(credentials.SessionToken, json.GetProperty("session_token").GetString());
        Assert.Equal(600, json.GetProperty("expires_in").GetInt32());
        Assert.True(json.GetProperty("capabilities").GetProperty("image_to_video").GetBoolean());
        Assert.Equal(credentials, ClientCredentials.FromJson(credentials.ToJson()));
    }

    [Fact]
    public void ClientCredentials_FromCamelCase_ReadsAndTakesSessionIdFromToken()
    {
        var json = $$$"""{"sessionId":"stale","signalingUrl":"ws://h","sessionToken":"{{{FakeOdyssey.Jwt("from-jwt")}}}","expiresIn":300,"capabilities":{"imageToVideo":false}}""";

        var credentials = ClientCredentials.FromJson(json);

        Assert.Equal("from-jwt", credentials.SessionId);
        Assert.Equal("ws://h", credentials.SignalingUrl);
        Assert.Equal(300, credentials.ExpiresIn);
        Assert.False(credentials.Capabilities!.ImageToVideo);
    }

    [Theory]
    [InlineData("""{"signaling_url":"ws://h","session_id":"x"}""", "session_token")]
    [InlineData("""{"session_token":"opaque","session_id":"x"}""", "signaling_url")]
    [InlineData("""{"session_token":"opaque","signaling_url":"ws://h"}""", "session_id")]
    [InlineData("""[1]""", "object")]
    [InlineData("""{"session_token":""", "malformed")]
    public void ClientCredentials_FromBadJson_FormatExceptionNamesTheProblem(string json, string named)
    {
        var error = Assert.Throws<FormatException>(() => ClientCredentials.FromJson(json));
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void ClientCredentials_ToString_HidesTheToken()
    {
        var credentials = new ClientCredentials { SessionId = "s", SignalingUrl = "ws://h", SessionToken = "very-secret-token" };
        Assert.DoesNotContain("very-secret-token", credentials.ToString());
    }
}
