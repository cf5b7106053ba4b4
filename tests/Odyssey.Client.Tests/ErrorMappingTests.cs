using System.Text.Json;

namespace Odyssey.Client.Tests;

public sealed class ErrorMappingTests
{
    [Theory]
    [InlineData("quota_exceeded", typeof(MonthlyLimitReachedError), "MONTHLY_LIMIT_REACHED")]
    [InlineData("concurrent_limit_exceeded", typeof(ConcurrentLimitReachedError), "CONCURRENT_LIMIT_EXCEEDED")]
    [InlineData("session_timeout", typeof(StreamDurationExceededError), "STREAM_DURATION_EXCEEDED")]
    public void StreamError_UsageReasons_MapToTypedUsageErrors(string reason, Type type, string code)
    {
        var error = ErrorMapping.StreamError(reason, "Stream ended: credit lease expired");
        Assert.IsType(type, error);
        var usage = Assert.IsAssignableFrom<OdysseyUsageError>(error);
        Assert.Equal(code, usage.Code);
        Assert.Equal("https://portal.odyssey.systems/dashboard", usage.ActionUrl);
        Assert.Equal("Stream ended: credit lease expired", usage.Message);
    }

    [Fact]
    public void StreamError_LeaseDenied_IsStreamErrorWithFixedText()
    {
        var error = Assert.IsType<OdysseyStreamError>(ErrorMapping.StreamError("lease_denied", "whatever"));
        Assert.Equal("Stream request denied - please try again", error.Message);
        Assert.Equal("lease_denied", error.Reason);
    }

    [Fact]
    public void StreamError_OtherReason_IsReasonColonMessage()
    {
        var error = Assert.IsType<OdysseyStreamError>(ErrorMapping.StreamError("model_crashed", "GPU fell over"));
        Assert.Equal("model_crashed: GPU fell over", error.Message);
    }

    [Theory]
    [InlineData("streamer_not_available", "Streamer not available. Please ensure the streamer is running.")]
    [InlineData("streamer_disconnected", "Streamer has disconnected.")]
    [InlineData("duration_limit_reached", "Connection exceeded maximum allowed duration.")]
    [InlineData("something_new", "Server error: something_new")]
    public void SignalingReason_KnownAndUnknown_MapToTheJsTexts(string reason, string text) =>
        Assert.Equal(text, ErrorMapping.SignalingReason(reason));

    [Fact]
    public void Usage_EachCode_MapsToItsTypeWithTypedDetails()
    {
        static Dictionary<string, JsonElement> D(string json) =>
            JsonDocument.Parse(json).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());

        var monthly = Assert.IsType<MonthlyLimitReachedError>(ErrorMapping.Usage("MONTHLY_LIMIT_REACHED", "m", "upgrade", "https://u", D("""{"used_hours":10.5,"limit_hours":10,"reset_date":"2026-12-01"}""")));
        Assert.Equal(10.5, monthly.UsedHours);
        Assert.Equal(10, monthly.LimitHours);
        Assert.Equal("2026-12-01", monthly.ResetDate);
        Assert.Equal("upgrade", monthly.Action);
        Assert.Equal("https://u", monthly.ActionUrl);

        var concurrent = Assert.IsType<ConcurrentLimitReachedError>(ErrorMapping.Usage("CONCURRENT_LIMIT_REACHED", "c", null, null, D("""{"active_count":5,"limit":5}""")));
        Assert.Equal(5, concurrent.ActiveCount);
        Assert.Equal(5, concurrent.Limit);

        var duration = Assert.IsType<StreamDurationExceededError>(ErrorMapping.Usage("STREAM_DURATION_EXCEEDED", "d", null, null, D("{}")));
        Assert.Equal(300, duration.MaxDurationSeconds);

        var suspended = Assert.IsType<AccountSuspendedError>(ErrorMapping.Usage("ACCOUNT_SUSPENDED", "s", null, null, D("""{"reason":"billing"}""")));
        Assert.Equal("billing", suspended.SuspensionReason);

        var rate = Assert.IsType<RateLimitError>(ErrorMapping.Usage("RATE_LIMITED", "r", null, null, D("""{"retry_after_seconds":12}""")));
        Assert.Equal(12, rate.RetryAfterSeconds);

        var other = Assert.IsType<OdysseyUsageError>(ErrorMapping.Usage("NEW_LIMIT", "n", null, null, D("{}")));
        Assert.Equal("NEW_LIMIT", other.Code);
    }

    [Fact]
    public void Hierarchy_EveryErrorIsAnOdysseyError()
    {
        Assert.IsAssignableFrom<OdysseyError>(new OdysseyAuthError());
        Assert.IsAssignableFrom<OdysseyError>(new OdysseyConnectionError());
        Assert.IsAssignableFrom<OdysseyError>(new OdysseyStreamError());
        Assert.IsAssignableFrom<OdysseyUsageError>(new RateLimitError());
        Assert.IsAssignableFrom<OdysseyUsageError>(new AccountSuspendedError());
    }
}
