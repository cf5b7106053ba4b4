using Odyssey.Media;
using Odyssey.Media.Containers;

namespace Odyssey.Pipeline.Blocks.Tests;

public sealed class DecodeBlockTests : IDisposable
{
    private const int FrameCount = 12;
    private readonly string _folder = Directory.CreateTempSubdirectory("odyssey-decode-").FullName;
    private readonly EncodedPacketPool _packets = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("clip.mp4", 1)]
    [InlineData("clip.mp4", 2)]
    [InlineData("clip.webm", 1)]
    public async Task Run_Packets_EveryFrameInOrderIncludingTheDrain(string name, int threads)
    {
        var packets = Read(MediaFiles.Encode(Path.Combine(_folder, name), FrameCount));
        var context = new PortedBlockContext(new VideoFramePool());
        context.Feed("in", packets);
        var output = context.Output<VideoFrame>("out");
        var block = new DecodeBlock(new DecodeOptions { Threads = threads });

        await RunAsync(block, context);

        Assert.Equal(FrameCount, output.Items.Count);
        for (var i = 0; i < FrameCount; i++)
        {
            var frame = output.Items[i];
            Assert.Equal(i, frame.Index);
            Assert.Equal(PixelFormat.I420, frame.Format);
            Assert.Equal((MediaFiles.Width, MediaFiles.Height), (frame.Width, frame.Height));
            Assert.Equal(i * 1000.0 / MediaFiles.FrameRate, frame.Pts.TotalMilliseconds, 1.0);
        }

        Assert.Equal(0, block.CorruptPackets);
        Assert.Null(block.CompletionNote);
        output.ReleaseAll();
        await block.DisposeAsync();
        Assert.Equal(0, context.FramePool.Outstanding);
        Assert.Equal(0, _packets.Outstanding);
    }

    [Fact]
    public async Task Run_CorruptPacketMidGop_CountedAndRecoversAtTheNextKeyframe()
    {
        // Keyframes at 0, 5, 10: packet 7 is garbled, so 7-9 cannot be trusted; 10 and 11 must come out.
        var packets = Read(MediaFiles.Encode(Path.Combine(_folder, "damaged.webm"), FrameCount));
        var damaged = packets[7];
        Assert.False(damaged.IsKeyframe);
        new Random(3).NextBytes(damaged.Data[3..]);
        damaged.Data[0] = 0xFF; // VP8 inter frame with an impossible header
        var context = new PortedBlockContext(new VideoFramePool());
        context.Feed("in", packets);
        var output = context.Output<VideoFrame>("out");
        var block = new DecodeBlock(new DecodeOptions());

        await RunAsync(block, context);

        Assert.True(block.CorruptPackets >= 1);
        Assert.NotNull(block.CompletionNote);
        Assert.Contains("corrupt", block.CompletionNote, StringComparison.Ordinal);
        var times = output.Items.Select(f => (int)Math.Round(f.Pts.TotalMilliseconds * MediaFiles.FrameRate / 1000)).ToList();
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], times.Take(7));
        Assert.Equal([10, 11], times.TakeLast(2));
        Assert.Equal(Enumerable.Range(0, output.Items.Count).Select(i => (long)i), output.Items.Select(f => f.Index));
        output.ReleaseAll();
        await block.DisposeAsync();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    [Fact]
    public async Task Run_CodecChanges_DrainsTheFirstAndDecodesBoth()
    {
        var packets = Read(MediaFiles.Encode(Path.Combine(_folder, "a.ivf"), FrameCount));
        packets.AddRange(Read(MediaFiles.Encode(Path.Combine(_folder, "b.h264"), FrameCount)));
        var context = new PortedBlockContext(new VideoFramePool());
        context.Feed("in", packets);
        var output = context.Output<VideoFrame>("out");
        var block = new DecodeBlock(new DecodeOptions());

        await RunAsync(block, context);

        Assert.Equal(2 * FrameCount, output.Items.Count);
        Assert.Equal(0, block.CorruptPackets);
        output.ReleaseAll();
        await block.DisposeAsync();
        Assert.Equal(0, context.FramePool.Outstanding);
    }

    private static async Task RunAsync(DecodeBlock block, PortedBlockContext context)
    {
        block.Attach(context);
        await ((CustomBlock<DecodeOptions>)block).RunAsync(CancellationToken.None).WaitAsync(BlockHarness.Timeout);
    }

    private List<EncodedPacket> Read(string path)
    {
        using var reader = new MediaFileReader(path, _packets, MediaFiles.FrameRate);
        var packets = new List<EncodedPacket>();
        while (reader.TryRead(out var packet))
        {
            packets.Add(packet);
        }

        return packets;
    }
}
