namespace Odyssey.Client.Tests;

public sealed class SignalingUrlTests
{
    [Theory]
    [InlineData("wss://sig.example/", "wss://sig.example")]
    [InlineData("ws://sig.example:8080", "ws://sig.example:8080")]
    [InlineData("https://sig.example", "wss://sig.example")]
    [InlineData("http://127.0.0.1:5000/", "ws://127.0.0.1:5000")]
    [InlineData("sig.example:9000", "ws://sig.example:9000")]
    public void Normalize_EachScheme_FollowsSection3(string input, string expected) =>
        Assert.Equal(expected, SignalingUrls.Normalize(input));

    [Fact]
    public void Client_TokenIsUrlEncodedInTheQuery()
    {
        var uri = SignalingUrls.Client("https://sig.example/", "abc", "a+b/c=");
        Assert.Equal("wss://sig.example/client/abc?token=a%2Bb%2Fc%3D", uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("wss://sig.example", "https://sig.example")]
    [InlineData("ws://127.0.0.1:5000/", "http://127.0.0.1:5000")]
    [InlineData("http://h:1", "http://h:1")]
    public void HttpBase_ForConfig_MapsWsToHttp(string input, string expected) =>
        Assert.Equal(expected, SignalingUrls.HttpBase(input));
}
