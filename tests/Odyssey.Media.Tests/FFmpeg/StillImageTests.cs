using Odyssey.Media.FFmpeg;

namespace Odyssey.Media.Tests.FFmpeg;

public sealed class StillImageTests
{
    /// <summary>JPEG of a flat colour, 4:2:0: only rounding in the colour transform and quantisation of DC.</summary>
    private const int FlatColourTolerance = 4;

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(255, 255, 255)]
    [InlineData(200, 30, 30)]
    [InlineData(30, 60, 220)]
    public void EncodeJpegThenDecode_FlatRgb_SameColourFullRange(byte r, byte g, byte b)
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(96, 64, PixelFormat.Rgb24);
        for (var y = 0; y < 64; y++)
        {
            var row = source.GetRow(0, y);
            for (var x = 0; x < 96; x++)
            {
                row[x * 3] = r;
                row[(x * 3) + 1] = g;
                row[(x * 3) + 2] = b;
            }
        }

        var jpeg = StillImage.EncodeJpeg(source);
        source.Release();

        Assert.Equal(StillImageFormat.Jpeg, StillImage.Sniff(jpeg));
        var decoded = StillImage.Decode(jpeg, pool);
        Assert.Equal((96, 64, PixelFormat.Rgb24), (decoded.Width, decoded.Height, decoded.Format));
        var pixel = decoded.GetRow(0, 32).Slice(48 * 3, 3).ToArray();
        decoded.Release();
        Assert.True(
            Math.Abs(pixel[0] - r) <= FlatColourTolerance && Math.Abs(pixel[1] - g) <= FlatColourTolerance && Math.Abs(pixel[2] - b) <= FlatColourTolerance,
            $"({r},{g},{b}) came back as ({pixel[0]},{pixel[1]},{pixel[2]})");
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void EncodeJpeg_FromLimitedRangeI420Black_DecodesToBlack()
    {
        var pool = new VideoFramePool();
        var source = pool.Rent(64, 48, PixelFormat.I420);
        source.GetPlane(0).Fill(16); // limited-range black
        source.GetPlane(1).Fill(128);
        source.GetPlane(2).Fill(128);

        var decoded = StillImage.Decode(StillImage.EncodeJpeg(source), pool);
        source.Release();

        Assert.True(decoded.GetRow(0, 24)[32 * 3] <= FlatColourTolerance, $"black came back as {decoded.GetRow(0, 24)[32 * 3]}");
        decoded.Release();
    }

    [Fact]
    public void Decode_MagicThenGarbage_InvalidDataExceptionNamingTheFormat()
    {
        byte[] bytes = [0xFF, 0xD8, 0xFF, 0xE0, 9, 9, 9, 9, 9, 9];
        var error = Assert.Throws<InvalidDataException>(() => StillImage.Decode(bytes, new VideoFramePool()));
        Assert.StartsWith("Jpeg image (10 bytes) could not be decoded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnknownBytes_InvalidDataException() =>
        Assert.Throws<InvalidDataException>(() => StillImage.Decode("hello"u8, new VideoFramePool()));

    [Fact]
    public void ResizeToFill_NonPackedFrame_ArgumentException()
    {
        var pool = new VideoFramePool();
        var i420 = pool.Rent(64, 48, PixelFormat.I420);
        Assert.Throws<ArgumentException>(() => StillImage.ResizeToFill(i420, 32, 32, pool));
        i420.Release();
    }
}
