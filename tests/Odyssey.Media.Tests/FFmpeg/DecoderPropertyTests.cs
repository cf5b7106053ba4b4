using CsCheck;
using Odyssey.Media.Containers;

namespace Odyssey.Media.Tests.FFmpeg;

/// <summary>Mutated real clips through reader and decoder: a typed error or frames, never a crash, hang or leak.</summary>
public sealed class DecoderPropertyTests : IClassFixture<Clips>
{
    private const int Iterations = 40;
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(90);

    private readonly Clips _clips;

    public DecoderPropertyTests(Clips clips) => _clips = clips;

    [Theory]
    [InlineData(VideoCodec.H264)]
    [InlineData(VideoCodec.Vp8)]
    [InlineData(VideoCodec.Vp9)]
    [InlineData(VideoCodec.Av1)]
    public async Task Decode_MutatedClip_FramesOrInvalidDataAndPoolsEmpty(VideoCodec codec)
    {
        var original = File.ReadAllBytes(_clips.Clip(codec));
        var edits = Gen.Select(Gen.Int[0, original.Length - 1], Gen.Byte).Array[1, 24];
        // Half the cases keep the whole clip; a cut IVF clip ends in a typed error before any frame is counted.
        var cut = Gen.OneOf(Gen.Const(original.Length), Gen.Int[0, original.Length]);
        var decoded = 0L;

        await Task.Run(() => Gen.Select(edits, cut).Sample((changes, length) =>
        {
            var mutated = original.AsSpan(0, length).ToArray();
            foreach (var (position, value) in changes)
            {
                if (position < mutated.Length)
                {
                    mutated[position] = value;
                }
            }

            var path = Path.Combine(_clips.Folder, $"mutated-{codec}-{Environment.CurrentManagedThreadId}{Path.GetExtension(_clips.Clip(codec))}");
            File.WriteAllBytes(path, mutated);
            var frames = new VideoFramePool();
            var packets = new EncodedPacketPool();
            try
            {
                decoded += DecodeHarness.Decode(codec, path, frames, packets).Frames.Count;
            }
            catch (MediaFileException error)
            {
                // A damaged container (or a raw stream with no usable SPS) is a typed error naming the
                // file; the codec itself never throws.
                Assert.Equal(path, error.FilePath);
            }

            Assert.Equal(0, frames.Outstanding);
            Assert.Equal(0, packets.Outstanding);
        }, iter: Iterations, threads: 1)).WaitAsync(HangGuard);

        // Most mutations leave most of the clip intact, so pictures must still come out overall.
        Assert.True(decoded > 0);
    }
}
