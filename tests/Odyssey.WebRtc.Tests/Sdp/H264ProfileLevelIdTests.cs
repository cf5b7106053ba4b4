using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc.Tests.Sdp;

public sealed class H264ProfileLevelIdTests
{
    [Theory]
    [InlineData("42e01f", H264Profile.ConstrainedBaseline)]
    [InlineData("42C01F", H264Profile.ConstrainedBaseline)]
    [InlineData("42401f", H264Profile.ConstrainedBaseline)]
    [InlineData("42001f", H264Profile.Baseline)]
    [InlineData("4d001f", H264Profile.Main)]
    [InlineData("4d801f", H264Profile.ConstrainedBaseline)]
    [InlineData("58c01f", H264Profile.ConstrainedBaseline)]
    [InlineData("58801f", H264Profile.Baseline)]
    [InlineData("640c1f", H264Profile.ConstrainedHigh)]
    [InlineData("64001f", H264Profile.High)]
    public void Profile_KnownIds_ClassifyAsRfc6184AndH264AnnexA(string text, H264Profile expected)
    {
        Assert.True(H264ProfileLevelId.TryParse(text, out var id));

        Assert.Equal(expected, id.Profile);
        Assert.Equal(0x1f, id.LevelIdc);
    }

    [Theory]
    [InlineData("58001f")]
    [InlineData("f4001f")]
    [InlineData("6e001f")]
    public void Profile_ProfilesWebRtcDoesNotUse_IsNull(string text)
    {
        Assert.True(H264ProfileLevelId.TryParse(text, out var id));

        Assert.Null(id.Profile);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("42e01")]
    [InlineData("42e01f0")]
    [InlineData("42g01f")]
    [InlineData("+42e01")]
    public void TryParse_NotSixHexDigits_ReturnsFalse(string? text)
    {
        Assert.False(H264ProfileLevelId.TryParse(text, out _));
    }

    [Fact]
    public void ToString_FromProfileAndLevel_WritesChromiumSpelling()
    {
        Assert.Equal("42e01f", H264ProfileLevelId.From(H264Profile.ConstrainedBaseline, H264ProfileLevelId.Level31).ToString());
        Assert.Equal("640c34", H264ProfileLevelId.From(H264Profile.ConstrainedHigh, 0x34).ToString());
    }

    [Fact]
    public void LevelRank_Level1b_SitsBetween1And11()
    {
        H264ProfileLevelId.TryParse("42f00b", out var level1b);
        H264ProfileLevelId.TryParse("42e00a", out var level1);
        H264ProfileLevelId.TryParse("42e00b", out var level11);

        Assert.True(level1.LevelRank < level1b.LevelRank);
        Assert.True(level1b.LevelRank < level11.LevelRank);
    }
}
