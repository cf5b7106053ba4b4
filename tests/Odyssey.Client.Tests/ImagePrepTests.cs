using System.Diagnostics;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Client.Tests;

/// <summary>
/// §5 "Image prep": every input format comes out as a 1280×704 (or 704×1280) JPEG, centre-cropped.
/// The test pictures are four coloured bands across their long side — red | green | yellow | blue — so
/// the prepared picture's edges show what was kept: a centred crop of a long picture keeps only green and
/// yellow, a stretch would show red and blue, an off-centre crop would show one of them.
/// </summary>
public sealed class ImagePrepTests
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);
    private static readonly byte[] Red = [220, 30, 30];
    private static readonly byte[] Green = [30, 200, 30];
    private static readonly byte[] Yellow = [230, 220, 30];
    private static readonly byte[] Blue = [30, 30, 220];

    /// <summary>Colours survive JPEG twice and GIF's palette within this much per channel.</summary>
    private const int ColourTolerance = 48;

    [Theory]
    [InlineData("mjpeg", "jpg", false)]
    [InlineData("png", "png", false)]
    [InlineData("libwebp", "webp", false)]
    [InlineData("gif", "gif", false)]
    [InlineData("mjpeg", "jpg", true)]
    [InlineData("png", "png", true)]
    [InlineData("libwebp", "webp", true)]
    [InlineData("gif", "gif", true)]
    public async Task PrepareForVideo_WideBandsInEveryFormat_CentreCroppedToExactSize(string encoder, string extension, bool portrait)
    {
        var file = await EncodeWithFFmpegAsync(Bands(1000, 300, alongWidth: true), 1000, 300, encoder, extension);
        var image = OdysseyImage.FromBytes(file);

        var prepared = image.PrepareForVideo(portrait);

        Assert.Equal("image/jpeg", prepared.MimeType);
        Assert.StartsWith("data:image/jpeg;base64,", prepared.ToDataUrl(), StringComparison.Ordinal);
        var (width, height) = portrait ? (704, 1280) : (1280, 704);
        var pool = new VideoFramePool();
        var frame = StillImage.Decode(prepared.Bytes.Span, pool);
        try
        {
            Assert.Equal((width, height), (frame.Width, frame.Height));
            AssertColour(Green, frame, 4, height / 2, "left edge");
            AssertColour(Yellow, frame, width - 5, height / 2, "right edge");
        }
        finally
        {
            frame.Release();
        }

        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PrepareForVideo_TallBands_TopAndBottomCutEvenly(bool portrait)
    {
        var file = await EncodeWithFFmpegAsync(Bands(300, 1000, alongWidth: false), 300, 1000, "png", "png");

        var prepared = OdysseyImage.FromBytes(file).PrepareForVideo(portrait);

        var (width, height) = portrait ? (704, 1280) : (1280, 704);
        var frame = StillImage.Decode(prepared.Bytes.Span, new VideoFramePool());
        try
        {
            Assert.Equal((width, height), (frame.Width, frame.Height));
            AssertColour(Green, frame, width / 2, 4, "top edge");
            AssertColour(Yellow, frame, width / 2, height - 5, "bottom edge");
        }
        finally
        {
            frame.Release();
        }
    }

    [Fact]
    public async Task PrepareForVideo_SameAspect_KeepsEveryBand()
    {
        // 1280:704 already: nothing is cut, so all four bands reach the picture.
        var file = await EncodeWithFFmpegAsync(Bands(640, 352, alongWidth: true), 640, 352, "png", "png");

        var prepared = OdysseyImage.FromBytes(file).PrepareForVideo(portrait: false);

        var frame = StillImage.Decode(prepared.Bytes.Span, new VideoFramePool());
        try
        {
            AssertColour(Red, frame, 4, 352, "left edge");
            AssertColour(Blue, frame, 1275, 352, "right edge");
        }
        finally
        {
            frame.Release();
        }
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8 })]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 })]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50, 9, 9 })]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0, 0 })]
    public void PrepareForVideo_MagicBytesButNoPicture_ArgumentExceptionNamingTheType(byte[] bytes)
    {
        var image = OdysseyImage.FromBytes(bytes);

        var error = Assert.Throws<ArgumentException>(() => image.PrepareForVideo(portrait: true));

        Assert.Contains(image.MimeType, error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be prepared for image-to-video", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1000, 300, 1280, 704, 227, 0, 545, 300)]
    [InlineData(300, 1000, 1280, 704, 0, 417, 300, 165)]
    [InlineData(1280, 704, 1280, 704, 0, 0, 1280, 704)]
    [InlineData(1, 1, 704, 1280, 0, 0, 1, 1)]
    public void CentreCrop_Shapes_KeepTheCentredTargetAspect(int sourceWidth, int sourceHeight, int width, int height, int x, int y, int keptWidth, int keptHeight) =>
        Assert.Equal((x, y, keptWidth, keptHeight), StillImage.CentreCrop(sourceWidth, sourceHeight, width, height));

    /// <summary>Four equal-ish bands: red [0, 20%), green [20%, 50%), yellow [50%, 80%), blue [80%, 100%).</summary>
    private static byte[] Bands(int width, int height, bool alongWidth)
    {
        var rgb = new byte[width * height * 3];
        var length = alongWidth ? width : height;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var position = alongWidth ? x : y;
                var colour = position < length / 5 ? Red : position < length / 2 ? Green : position < length * 4 / 5 ? Yellow : Blue;
                colour.CopyTo(rgb, ((y * width) + x) * 3);
            }
        }

        return rgb;
    }

    private static void AssertColour(byte[] expected, VideoFrame frame, int x, int y, string where)
    {
        var pixel = frame.GetRow(0, y).Slice(x * 3, 3);
        for (var channel = 0; channel < 3; channel++)
        {
            Assert.True(
                Math.Abs(pixel[channel] - expected[channel]) <= ColourTolerance,
                $"{where} ({x},{y}) is ({pixel[0]},{pixel[1]},{pixel[2]}), expected about ({expected[0]},{expected[1]},{expected[2]})");
        }
    }

    /// <summary>Writes a raw RGB picture as a file of <paramref name="extension"/> with the ffmpeg CLI (setup.sh installs it).</summary>
    private static async Task<byte[]> EncodeWithFFmpegAsync(byte[] rgb, int width, int height, string encoder, string extension)
    {
        var output = Path.Combine(Path.GetTempPath(), $"odyssey-prep-{Guid.NewGuid():N}.{extension}");
        var start = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-i", "pipe:0", "-frames:v", "1", "-c:v", encoder, output })
        {
            start.ArgumentList.Add(argument);
        }

        using var cancel = new CancellationTokenSource(ToolTimeout);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(cancel.Token);
        await process.StandardInput.BaseStream.WriteAsync(rgb, cancel.Token);
        process.StandardInput.Close();
        await process.WaitForExitAsync(cancel.Token);
        Assert.True(process.ExitCode == 0, $"ffmpeg -c:v {encoder} failed: {await errors}");
        try
        {
            return await File.ReadAllBytesAsync(output, cancel.Token);
        }
        finally
        {
            File.Delete(output);
        }
    }
}
