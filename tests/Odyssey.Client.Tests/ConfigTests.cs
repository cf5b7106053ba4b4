namespace Odyssey.Client.Tests;

public sealed class ConfigTests
{
    [Theory]
    [InlineData("not a url", "ApiUrl")]
    [InlineData("ftp://api.example", "ApiUrl")]
    public void ClientConfig_BadApiUrl_NamesTheField(string url, string field)
    {
        var error = Assert.Throws<ArgumentException>(() => new ClientConfig { ApiUrl = url }.Validate());
        Assert.Contains($"ClientConfig.{field}", error.Message);
    }

    public static TheoryData<AdvancedConfig, string> BadAdvanced => new()
    {
        { new AdvancedConfig { MaxRetries = -1 }, "MaxRetries" },
        { new AdvancedConfig { InitialRetryDelay = TimeSpan.FromSeconds(-1) }, "InitialRetryDelay" },
        { new AdvancedConfig { InitialRetryDelay = TimeSpan.FromSeconds(5), MaxRetryDelay = TimeSpan.FromSeconds(1) }, "MaxRetryDelay" },
        { new AdvancedConfig { RetryBackoffMultiplier = 0.5 }, "RetryBackoffMultiplier" },
        { new AdvancedConfig { RetryBackoffMultiplier = double.NaN }, "RetryBackoffMultiplier" },
        { new AdvancedConfig { QueueTimeout = TimeSpan.FromSeconds(-1) }, "QueueTimeout" },
        { new AdvancedConfig { FrameQueueCapacity = 0 }, "FrameQueueCapacity" },
    };

    [Theory]
    [MemberData(nameof(BadAdvanced))]
    public void AdvancedConfig_InvalidValue_ClientRefusesNamingTheField(AdvancedConfig advanced, string field)
    {
        var error = Assert.Throws<ArgumentException>(() => new OdysseyClient(new ClientConfig { ApiUrl = "http://127.0.0.1:1", Advanced = advanced }));
        Assert.Contains($"AdvancedConfig.{field}", error.Message);
    }

    [Fact]
    public void DevConfig_SignalingUrlWithoutSessionId_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new ClientConfig { ApiUrl = "http://x", Dev = new DevConfig { SignalingUrl = "ws://127.0.0.1:9" } }.Validate());
        Assert.Contains("DevConfig.SessionId", error.Message);
    }

    [Fact]
    public void AdvancedConfig_Defaults_MatchTheProtocol()
    {
        var advanced = new AdvancedConfig();
        Assert.Equal(5, advanced.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(30), advanced.QueueTimeout);

        // §8: min(1 s × 2^n, 2 s) → 1 s, 2 s, 2 s, …
        Assert.Equal(TimeSpan.FromSeconds(1), advanced.RetryDelay(0));
        Assert.Equal(TimeSpan.FromSeconds(2), advanced.RetryDelay(1));
        Assert.Equal(TimeSpan.FromSeconds(2), advanced.RetryDelay(4));
    }

    [Fact]
    public void AdvancedConfig_CustomBackoff_GrowsThenCaps()
    {
        var advanced = new AdvancedConfig { InitialRetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromMilliseconds(1000), RetryBackoffMultiplier = 3 };
        Assert.Equal(new[] { 100.0, 300, 900, 1000 }, Enumerable.Range(0, 4).Select(n => advanced.RetryDelay(n).TotalMilliseconds));
    }
}
