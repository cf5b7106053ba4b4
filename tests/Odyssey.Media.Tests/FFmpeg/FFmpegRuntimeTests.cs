using Odyssey.Media.FFmpeg;
using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.Tests.FFmpeg;

public class FFmpegRuntimeTests
{
    [Fact]
    public void EnsureAvailable_SystemFfmpeg51_ReportsMajors59And57And6()
    {
        var versions = FFmpegRuntime.EnsureAvailable();

        Assert.Equal(59, versions.AvCodec.Major);
        Assert.Equal(57, versions.AvUtil.Major);
        Assert.Equal(6, versions.SwScale.Major);
        Assert.Same(versions, FFmpegRuntime.EnsureAvailable());
    }

    [Fact]
    public void EnsureAvailable_BindingsAgreeWithProbe()
    {
        var versions = FFmpegRuntime.EnsureAvailable();

        Assert.Equal((uint)((versions.AvCodec.Major << 16) | (versions.AvCodec.Minor << 8) | versions.AvCodec.Build), AvCodec.Version());
        Assert.Equal((uint)((versions.AvUtil.Major << 16) | (versions.AvUtil.Minor << 8) | versions.AvUtil.Build), AvUtil.Version());
        Assert.Equal((uint)((versions.SwScale.Major << 16) | (versions.SwScale.Minor << 8) | versions.SwScale.Build), SwScale.Version());
    }

    [Fact]
    public void Probe_MissingLibrary_ThrowsNamingLibraryAndPackage()
    {
        var spec = new FFmpegLibraries.LibrarySpec("libavcodec.so.9999", "avcodec_version", 9999, "libavcodec9999");

        var error = Assert.Throws<FFmpegUnavailableException>(() => FFmpegLibraries.Probe(spec, out _));

        Assert.Equal("libavcodec.so.9999", error.Library);
        Assert.Null(error.Found);
        Assert.Contains("libavcodec.so.9999", error.Message, StringComparison.Ordinal);
        Assert.Contains("libavcodec9999", error.Message, StringComparison.Ordinal);
        Assert.Contains("could not be loaded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_WrongMajorVersion_ThrowsWithFoundAndExpected()
    {
        // The real library, but expecting the next major: what a distribution upgrade would look like.
        var spec = FFmpegLibraries.AvCodecSpec with { ExpectedMajor = 60, DebianPackage = "libavcodec60" };

        var error = Assert.Throws<FFmpegUnavailableException>(() => FFmpegLibraries.Probe(spec, out _));

        Assert.Equal(59, error.Found?.Major);
        Assert.Equal(60, error.ExpectedMajor);
        Assert.Contains("reports version 59.", error.Message, StringComparison.Ordinal);
        Assert.Contains("major version 60", error.Message, StringComparison.Ordinal);
        Assert.Contains("libavcodec60", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(VideoCodec.H264, 27)] // AV_CODEC_ID_H264 in FFmpeg 5.1
    [InlineData(VideoCodec.Vp8, 139)] // AV_CODEC_ID_VP8
    [InlineData(VideoCodec.Vp9, 167)] // AV_CODEC_ID_VP9
    public void CodecId_DecoderFoundByName_MatchesFfmpeg51Enum(VideoCodec codec, int expected)
    {
        // Proves the AVCodec.id offset: a wrong offset would read the type (0) or a pointer half.
        Assert.Equal(expected, CodecLookup.CodecId(CodecLookup.FindDecoder(codec)));
    }

    [Fact]
    public void PixelFormatLookup_ByName_MatchesFfmpeg51Enum()
    {
        FFmpegRuntime.EnsureAvailable();

        Assert.Equal(0, AvUtil.GetPixelFormat("yuv420p"));
        Assert.Equal(23, AvUtil.GetPixelFormat("nv12"));
        Assert.Equal("yuv420p", AvUtil.PixelFormatName(0));
    }

    [Fact]
    public void ErrorText_Eagain_IsFfmpegsMessage()
    {
        FFmpegRuntime.EnsureAvailable();

        Assert.Contains("temporarily unavailable", AvUtil.ErrorText(AvUtil.ErrorAgain), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("End of file", AvUtil.ErrorText(AvUtil.ErrorEof));
    }
}
