using System.Diagnostics;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks.Tests;

public sealed class FileSourceBlockTests : IDisposable
{
    private const int FrameCount = 12;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "odyssey-file-source-" + Guid.NewGuid().ToString("N"));

    public FileSourceBlockTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("clip.h264", "-c:v libx264 -profile:v baseline -f h264")]
    [InlineData("clip.ivf", "-c:v libvpx -f ivf")]
    public async Task Produce_EncodedFile_EveryFrameInOrderAsI420(string name, string encoder)
    {
        var path = Encode(name, encoder);
        using var context = new TestBlockContext();
        var block = await BlockHarness.StartAsync(new FileSourceBlock(new FileSourceOptions { Path = path, Fps = 25 }), context);

        var frames = await BlockHarness.ProduceAsync(block);
        await block.DisposeAsync();

        Assert.Equal(FrameCount, frames.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.Equal(i, frames[i].Index);
            Assert.Equal(PixelFormat.I420, frames[i].Format);
            Assert.Equal((160, 120), (frames[i].Width, frames[i].Height));
            Assert.Equal(TimeSpan.FromSeconds(i / 25.0).TotalMilliseconds, frames[i].Pts.TotalMilliseconds, 1);
        }

        Assert.Equal(0, block.CorruptPackets);
        foreach (var frame in frames)
        {
            frame.Release();
        }

        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Produce_StoppedEarly_ReturnsWithoutLeaking()
    {
        var path = Encode("stop.ivf", "-c:v libvpx -f ivf");
        using var context = new TestBlockContext();
        var block = await BlockHarness.StartAsync(new FileSourceBlock(new FileSourceOptions { Path = path }), context);
        using var stop = new CancellationTokenSource();

        var frames = await BlockHarness.ProduceAsync(block, stop, cancelAfter: 3);
        await block.DisposeAsync();

        Assert.InRange(frames.Count, 3, FrameCount - 1);
        foreach (var frame in frames)
        {
            frame.Release();
        }

        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Start_TruncatedIvfHeader_FailsNamingThePath()
    {
        var path = Path.Combine(_folder, "bad.ivf");
        await File.WriteAllBytesAsync(path, [0x44, 0x4B]);
        using var context = new TestBlockContext();

        var error = await Assert.ThrowsAsync<Odyssey.Media.Containers.MediaFileException>(() => BlockHarness.StartAsync(new FileSourceBlock(new FileSourceOptions { Path = path }), context));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownExtension_NamesThePathOption()
    {
        var options = new FileSourceOptions { Path = "movie.mkv" };

        var results = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).ToList();

        var result = Assert.Single(results);
        Assert.Contains("path", result.MemberNames);
        Assert.Contains("movie.mkv", result.ErrorMessage, StringComparison.Ordinal);
    }

    private string Encode(string name, string encoder)
    {
        var path = Path.Combine(_folder, name);
        using var process = Process.Start(new ProcessStartInfo("ffmpeg", $"-nostdin -v error -y -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v {FrameCount} -pix_fmt yuv420p {encoder} \"{path}\"") { UseShellExecute = false })!;
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "ffmpeg did not finish");
        Assert.Equal(0, process.ExitCode);
        return path;
    }
}
