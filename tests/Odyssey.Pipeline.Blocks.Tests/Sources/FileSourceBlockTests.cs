using System.ComponentModel.DataAnnotations;
using Odyssey.Media;
using Odyssey.Media.Containers;

namespace Odyssey.Pipeline.Blocks.Tests;

public sealed class FileSourceBlockTests : IDisposable
{
    private const int FrameCount = 12;
    private readonly string _folder = Directory.CreateTempSubdirectory("odyssey-file-source-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("clip.h264", VideoCodec.H264)]
    [InlineData("clip.mp4", VideoCodec.H264)]
    [InlineData("clip.mkv", VideoCodec.H264)]
    [InlineData("clip.ivf", VideoCodec.Vp8)]
    [InlineData("clip.webm", VideoCodec.Vp8)]
    public async Task Produce_EachContainer_EveryPacketInOrderFromZero(string name, VideoCodec codec)
    {
        var path = MediaFiles.Encode(Path.Combine(_folder, name), FrameCount);
        using var context = new TestBlockContext();
        var block = await BlockHarness.StartAsync(new FileSourceBlock(new FileSourceOptions { Path = path, Fps = MediaFiles.FrameRate }), context);

        var packets = await BlockHarness.ProduceAsync(block);

        Assert.Equal(FrameCount, packets.Count);
        for (var i = 0; i < packets.Count; i++)
        {
            Assert.Equal(i, packets[i].Index);
            Assert.Equal(codec, packets[i].Codec);
            Assert.Equal(i % 5 == 0, packets[i].IsKeyframe);
            Assert.Equal(i * 1000.0 / MediaFiles.FrameRate, packets[i].Pts.TotalMilliseconds, 1.0);
        }

        Assert.Equal(codec, block.Stream!.Codec);
        Release(packets);
        await block.DisposeAsync();
        Assert.Equal(0, block.PacketPool.Outstanding);
    }

    [Theory]
    [InlineData("loop.mp4")]
    [InlineData("loop.h264")]
    public async Task Produce_Loop_RestartsWithTimestampsThatKeepIncreasing(string name)
    {
        var path = MediaFiles.Encode(Path.Combine(_folder, name), FrameCount);
        using var context = new TestBlockContext();
        var block = await BlockHarness.StartAsync(new FileSourceBlock(new FileSourceOptions { Path = path, Fps = MediaFiles.FrameRate, Loop = true }), context);
        using var stop = new CancellationTokenSource();

        var packets = await BlockHarness.ProduceAsync(block, stop, cancelAfter: 3 * FrameCount);

        Assert.Equal(3 * FrameCount, packets.Count);
        for (var i = 0; i < packets.Count; i++)
        {
            // One clock across passes: packet i of the output is i frames after the first.
            Assert.Equal(i, packets[i].Index);
            Assert.Equal(i * 1000.0 / MediaFiles.FrameRate, packets[i].Pts.TotalMilliseconds, 1.0);
            Assert.Equal(i % FrameCount % 5 == 0, packets[i].IsKeyframe);
        }

        Assert.True(block.Passes >= 3);
        Release(packets);
        await block.DisposeAsync();
        Assert.Equal(0, block.PacketPool.Outstanding);
    }

    [Theory]
    [InlineData("trim.mp4")]
    [InlineData("trim.webm")]
    [InlineData("trim.h264")]
    [InlineData("trim.ivf")]
    public async Task Produce_StartAndStop_FromTheKeyframeBeforeStartUpToStop(string name)
    {
        // Keyframes every 5 frames at 25 fps: 0, 0.2, 0.4 s. Start 0.3 s begins at the keyframe at
        // 0.2 s (frame 5); stop 0.4 s ends before frame 10.
        var path = MediaFiles.Encode(Path.Combine(_folder, name), FrameCount);
        using var context = new TestBlockContext();
        var block = await BlockHarness.StartAsync(new FileSourceBlock(new FileSourceOptions { Path = path, Fps = MediaFiles.FrameRate, Start = 0.3, Stop = 0.4 }), context);

        var packets = await BlockHarness.ProduceAsync(block);

        Assert.Equal(5, packets.Count);
        Assert.True(packets[0].IsKeyframe);
        Assert.Equal(TimeSpan.Zero, packets[0].Pts);
        Assert.Equal(4 * 1000.0 / MediaFiles.FrameRate, packets[4].Pts.TotalMilliseconds, 1.0);
        Release(packets);
        await block.DisposeAsync();
    }

    [Fact]
    public async Task Produce_Realtime_TakesTheClipsDurationOnTheClock()
    {
        var path = MediaFiles.Encode(Path.Combine(_folder, "paced.mp4"), FrameCount);
        var clock = new SteppingClock();
        using var context = new TestBlockContext();
        var block = await BlockHarness.StartAsync(new FileSourceBlock(new FileSourceOptions { Path = path, Realtime = true }) { Clock = clock }, context);

        var packets = await BlockHarness.ProduceAsync(block);

        // The last packet is due (frames - 1) / fps after the first; waits round up to whole milliseconds.
        var due = TimeSpan.FromSeconds((FrameCount - 1) / (double)MediaFiles.FrameRate);
        Assert.InRange(clock.Elapsed, due, due + TimeSpan.FromMilliseconds(1));
        Assert.Equal(FrameCount, packets.Count);
        Release(packets);
        await block.DisposeAsync();
    }

    [Fact]
    public async Task Produce_StoppedEarly_ReturnsWithoutLeaking()
    {
        var path = MediaFiles.Encode(Path.Combine(_folder, "stop.ivf"), FrameCount);
        using var context = new TestBlockContext();
        var block = await BlockHarness.StartAsync(new FileSourceBlock(new FileSourceOptions { Path = path }), context);
        using var stop = new CancellationTokenSource();

        var packets = await BlockHarness.ProduceAsync(block, stop, cancelAfter: 3);

        Assert.Equal(3, packets.Count);
        Release(packets);
        await block.DisposeAsync();
        Assert.Equal(0, block.PacketPool.Outstanding);
    }

    [Fact]
    public async Task Start_GarbageFile_FailsNamingThePath()
    {
        var path = Path.Combine(_folder, "bad.mp4");
        await File.WriteAllBytesAsync(path, [0x44, 0x4B, 0x49, 0x46, 1, 2, 3]);
        using var context = new TestBlockContext();

        var error = await Assert.ThrowsAsync<MediaFileException>(() => BlockHarness.StartAsync(new FileSourceBlock(new FileSourceOptions { Path = path }), context));

        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownExtension_NamesThePathOption()
    {
        var options = new FileSourceOptions { Path = "movie.avi" };

        var result = Assert.Single(options.Validate(new ValidationContext(options)));

        Assert.Contains("path", result.MemberNames);
        Assert.Contains("movie.avi", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_StopNotAfterStart_NamesTheStopOption()
    {
        var options = new FileSourceOptions { Path = "movie.mp4", Start = 2, Stop = 1 };

        var result = Assert.Single(options.Validate(new ValidationContext(options)));

        Assert.Contains("stop", result.MemberNames);
    }

    private static void Release(List<EncodedPacket> packets)
    {
        foreach (var packet in packets)
        {
            packet.Release();
        }
    }
}
