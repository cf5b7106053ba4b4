using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Pipeline.Blocks.Tests;

public sealed class EncodeBlockTests
{
    private const int Width = 320;
    private const int Height = 240;
    private const int FrameCount = 30;
    private const double MinimumPsnr = 35;

    [Theory]
    [InlineData(EncodeCodec.H264, PixelFormat.I420)]
    [InlineData(EncodeCodec.Vp8, PixelFormat.I420)]
    [InlineData(EncodeCodec.H264, PixelFormat.Bgr24)]
    public async Task Run_TestPattern_DecodesBackEveryIndexInOrderAbovePsnr(EncodeCodec codec, PixelFormat format)
    {
        using var source = new TestBlockContext();
        var frames = await Pattern(source, format);
        var luma = new List<byte[]>();
        foreach (var frame in frames)
        {
            luma.Add(Luma(frame, source.FramePool));
        }

        var context = new PortedBlockContext(source.FramePool, "enc");
        context.Feed("in", frames);
        var block = new EncodeBlock(new EncodeOptions { Codec = codec, KeyframeInterval = 10 });
        await BlockHarness.StartAsync(block, context);

        await block.RunAsync(CancellationToken.None).WaitAsync(BlockHarness.Timeout);

        var packets = context.Output<EncodedPacket>("out").Items;
        Assert.Equal(FrameCount, packets.Count);
        Assert.Equal(FrameCount, block.FramesEncoded);
        Assert.Equal(0, source.FramePool.Outstanding);
        var decodedPool = new VideoFramePool();
        var videoCodec = codec == EncodeCodec.H264 ? VideoCodec.H264 : VideoCodec.Vp8;
        var decoded = new List<VideoFrame>();
        using (var decoder = new VideoDecoder(videoCodec, decodedPool))
        {
            for (var i = 0; i < packets.Count; i++)
            {
                Assert.Equal(i, packets[i].Index);
                Assert.Equal(i % 10 == 0, packets[i].IsKeyframe);
                Assert.Equal(TimeSpan.FromSeconds(i / 30.0), packets[i].Pts);
                decoder.Send(packets[i]);
                while (decoder.TryReceive(out var frame))
                {
                    decoded.Add(frame);
                }
            }

            decoder.SendEndOfStream();
            while (decoder.TryReceive(out var frame))
            {
                decoded.Add(frame);
            }
        }

        context.Output<EncodedPacket>("out").ReleaseAll();
        await block.DisposeAsync();
        Assert.Equal(0, block.PacketPool.Outstanding);

        Assert.Equal(FrameCount, decoded.Count);
        for (var i = 0; i < decoded.Count; i++)
        {
            Assert.True(FrameIndexCode.TryRead(decoded[i], out var index), $"{codec}: no index stamp in decoded frame {i}");
            Assert.Equal(i, index);
            var psnr = Psnr(luma[i], Luma(decoded[i], decodedPool));
            Assert.True(psnr >= MinimumPsnr, $"{codec} from {format}: frame {i} luma PSNR {psnr:F1} dB < {MinimumPsnr} dB");
            decoded[i].Release();
        }

        Assert.Equal(0, decodedPool.Outstanding);
    }

    [Fact]
    public async Task Run_FrameOfAnotherSize_FailsNamingBlockAndBothSizes()
    {
        var pool = new VideoFramePool();
        var first = TestFrames.Uniform(pool, Width, Height, PixelFormat.I420, 100, index: 0);
        var second = TestFrames.Uniform(pool, 160, 120, PixelFormat.I420, 100, index: 1);
        var context = new PortedBlockContext(pool, "enc");
        context.Feed("in", new[] { first, second });
        var block = new EncodeBlock(new EncodeOptions { Codec = EncodeCodec.Vp8 });
        await BlockHarness.StartAsync(block, context);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => block.RunAsync(CancellationToken.None).WaitAsync(BlockHarness.Timeout));

        Assert.Contains("'enc'", error.Message, StringComparison.Ordinal);
        Assert.Contains("160x120", error.Message, StringComparison.Ordinal);
        Assert.Contains("320x240", error.Message, StringComparison.Ordinal);
        context.ReleaseUnread();
        context.Output<EncodedPacket>("out").ReleaseAll();
        await block.DisposeAsync();
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(0, block.PacketPool.Outstanding);
    }

    [Fact]
    public async Task Run_NoFrames_CompletesWithoutPackets()
    {
        var pool = new VideoFramePool();
        var context = new PortedBlockContext(pool);
        context.Feed("in", Array.Empty<VideoFrame>());
        var block = new EncodeBlock(new EncodeOptions());
        await BlockHarness.StartAsync(block, context);

        await block.RunAsync(CancellationToken.None).WaitAsync(BlockHarness.Timeout);
        await block.DisposeAsync();

        Assert.Empty(context.Output<EncodedPacket>("out").Items);
    }

    [Fact]
    public async Task Pipeline_TestPatternEncodeNull_RunsAndCountsOnePacketPerFrame()
    {
        var json = """
            {
              "blocks": {
                "src": { "type": "testpattern", "options": { "width": 160, "height": 120, "frames": 20 } },
                "enc": { "type": "encode", "options": { "codec": "vp8", "bitrateKbps": 500, "keyframeInterval": 5 } },
                "sink": { "type": "null" }
              },
              "links": [ "src -> enc -> sink" ]
            }
            """;
        var definition = PipelineLoader.Load(json, BuiltInBlocks.CreateRegistry(), Path.GetTempPath()).EnsureValid();
        var pool = new VideoFramePool();

        var result = await PipelineExecution.Start(definition, new PipelineRunOptions { FramePool = pool }).Completion.WaitAsync(BlockHarness.Timeout);

        Assert.True(result.Succeeded, result.Fault?.ToString());
        var encode = result.Metrics.Blocks.Single(b => b.Name == "enc");
        Assert.Equal(20, encode.ItemsIn);
        Assert.Equal(20, encode.ItemsOut);
        Assert.Equal(0, pool.Outstanding);
    }

    [Theory]
    [InlineData("\"codec\": \"vp8\", \"preset\": \"fast\"", "applies to h264 only")]
    [InlineData("\"preset\": \"warp\"", "is not one of")]
    [InlineData("\"codec\": \"vp9\"", "codec")]
    [InlineData("\"bitrateKbps\": 0", "bitrateKbps")]
    public void Load_BadEncodeOptions_RefusedNamingTheOption(string options, string expected)
    {
        var json = $$"""
            {
              "blocks": {
                "src": { "type": "testpattern" },
                "enc": { "type": "encode", "options": { {{options}} } },
                "sink": { "type": "null" }
              },
              "links": [ "src -> enc -> sink" ]
            }
            """;

        var result = PipelineLoader.Load(json, BuiltInBlocks.CreateRegistry(), Path.GetTempPath());

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("$.blocks.enc.options", error.Path, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static async Task<List<VideoFrame>> Pattern(TestBlockContext context, PixelFormat format)
    {
        var source = await BlockHarness.StartAsync(new TestPatternBlock(new TestPatternOptions { Width = Width, Height = Height, Frames = FrameCount, Format = format }), context);
        return await BlockHarness.ProduceAsync(source);
    }

    /// <summary>The luma plane of <paramref name="frame"/> (converted to I420 first when needed), packed.</summary>
    private static byte[] Luma(VideoFrame frame, VideoFramePool pool)
    {
        var yuv = frame;
        if (frame.Format != PixelFormat.I420)
        {
            yuv = pool.Rent(frame.Width, frame.Height, PixelFormat.I420);
            PixelConverter.Convert(frame, yuv);
        }

        var luma = new byte[frame.Width * frame.Height];
        for (var y = 0; y < frame.Height; y++)
        {
            yuv.GetRow(0, y).CopyTo(luma.AsSpan(y * frame.Width));
        }

        if (yuv != frame)
        {
            yuv.Release();
        }

        return luma;
    }

    private static double Psnr(byte[] reference, byte[] actual)
    {
        double sum = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            var difference = reference[i] - actual[i];
            sum += difference * difference;
        }

        var mse = sum / reference.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }
}
