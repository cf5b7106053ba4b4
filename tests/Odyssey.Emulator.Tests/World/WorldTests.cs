using Odyssey.Emulator.World;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Emulator.Tests.World;

/// <summary>The synthetic world: stamped, prompt-driven, and still readable after a lossy codec.</summary>
public sealed class WorldTests
{
    [Theory]
    [InlineData(1280, 704)]
    [InlineData(704, 1280)]
    [InlineData(64, 48)]
    public void Render_AnySize_StampReadsBackTheIndex(int width, int height)
    {
        var pool = new VideoFramePool();
        var renderer = new WorldRenderer(width, height);
        var frame = pool.Rent(width, height, PixelFormat.I420);
        foreach (var index in new long[] { 0, 1, 29, 123_456 })
        {
            renderer.Render(frame, Scene.For("a red fox"), index);
            Assert.True(FrameIndexCode.TryRead(frame, out var read));
            Assert.Equal(index, read);
        }

        frame.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void Render_DifferentPrompts_ChangeColoursAndText()
    {
        var pool = new VideoFramePool();
        var renderer = new WorldRenderer(640, 352);
        var fox = pool.Rent(640, 352, PixelFormat.I420);
        var whale = pool.Rent(640, 352, PixelFormat.I420);
        renderer.Render(fox, Scene.For("a red fox"), 10);
        renderer.Render(whale, Scene.For("a blue whale"), 10);

        Assert.False(fox.GetPlane(1).SequenceEqual(whale.GetPlane(1)) && fox.GetPlane(2).SequenceEqual(whale.GetPlane(2)), "the prompt must change the colours");
        var textBand = ((352 / 4) + 4, (352 / 4) + 40); // inside the text band (below the stamp), which is filled before the text
        Assert.False(Rows(fox, textBand).SequenceEqual(Rows(whale, textBand)), "the prompt must change the text");
        fox.Release();
        whale.Release();
    }

    [Fact]
    public void Render_LongPrompt_WrapsWithoutThrowing()
    {
        var pool = new VideoFramePool();
        var renderer = new WorldRenderer(320, 176);
        var frame = pool.Rent(320, 176, PixelFormat.I420);
        renderer.Render(frame, Scene.For(string.Join(' ', Enumerable.Repeat("supercalifragilisticexpialidocious word", 40)) + " ünïcödé ✓"), 3);
        Assert.True(FrameIndexCode.TryRead(frame, out var index));
        Assert.Equal(3, index);
        frame.Release();
    }

    [Fact]
    public void SceneFor_ColourWord_ColoursTheBackground()
    {
        var blue = Scene.For("a blue whale");
        var red = Scene.For("A RED fox");
        Assert.True(blue.BackgroundU > 200 && blue.BackgroundV < 128, "blue: high U");
        Assert.True(red.BackgroundV > 200 && red.BackgroundU < 128, "red: high V");
    }

    [Fact]
    public void SceneFor_SamePrompt_IsStableAcrossCalls()
    {
        var a = Scene.For("a red fox");
        var b = Scene.For("a red fox");
        Assert.Equal((a.BackgroundY, a.BackgroundU, a.BackgroundV, a.ShapeCount, a.Speed), (b.BackgroundY, b.BackgroundU, b.BackgroundV, b.ShapeCount, b.Speed));
    }

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    public void WorldEncoder_EncodeThenDecode_EveryIndexSurvives(VideoCodec codec)
    {
        var packets = new EncodedPacketPool();
        var frames = new VideoFramePool();
        var read = new List<long>();
        using (var encoder = new WorldEncoder(codec, 320, 176, 30, 400, packets))
        using (var decoder = new VideoDecoder(codec, frames))
        {
            for (var i = 0; i < 20; i++)
            {
                encoder.Render(Scene.For(i < 10 ? "one" : "two"), i);
                while (encoder.TryReceive(out var packet))
                {
                    decoder.Send(packet);
                    packet.Release();
                    while (decoder.TryReceive(out var frame))
                    {
                        Assert.True(FrameIndexCode.TryRead(frame, out var index));
                        read.Add(index);
                        frame.Release();
                    }
                }
            }
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), read);
        Assert.Equal(0, packets.Outstanding);
        Assert.Equal(0, frames.Outstanding);
    }

    private static byte[] Rows(VideoFrame frame, (int Top, int Bottom) band)
    {
        var bytes = new List<byte>();
        for (var y = band.Top; y < band.Bottom; y++)
        {
            bytes.AddRange(frame.GetRow(0, y)[..frame.Width].ToArray());
        }

        return [.. bytes];
    }
}
