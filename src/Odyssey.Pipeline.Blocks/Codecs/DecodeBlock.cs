using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="DecodeBlock"/>.</summary>
public sealed class DecodeOptions
{
    /// <summary>Decoder threads.</summary>
    [Description("Decoder threads (1 leaves the cores to the pipeline's other blocks; 0 lets FFmpeg choose).")]
    [Range(0, 64)]
    public int Threads { get; init; } = VideoDecoder.DefaultThreads;
}

/// <summary>
/// Decodes encoded packets into frames (I420; NV12 when the codec gives NV12) with FFmpeg, opening the
/// decoder for each packet's codec. A custom block rather than a transform because one packet may give
/// no frame (the codec's delay) or several (frame threads, and the drain at the end): every frame is
/// sent, none held back or dropped.
/// </summary>
/// <remarks>
/// Damaged packets are counted (<see cref="CorruptPackets"/>), never thrown: the decoder discards
/// pictures until the next keyframe and carries on, and the count is reported when the block ends.
/// Completion: at the end of the input the decoder is drained and every remaining frame sent; on a
/// stop the block returns at once, releasing what it holds. Frames are numbered from 0 in output order.
/// </remarks>
[Block(TypeName, Description = "Decodes H.264, VP8, VP9 or AV1 packets into frames with FFmpeg; counts corrupt packets and recovers at the next keyframe.")]
[Input("in", typeof(EncodedPacket))]
[Output("out", typeof(VideoFrame), Required = true)]
public sealed class DecodeBlock(DecodeOptions options) : CustomBlock<DecodeOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "decode";

    private VideoDecoder? _decoder;
    private long _corruptBefore;
    private long _discardedBefore;
    private long _index;

    /// <summary>Packets the decoder rejected as damaged (over every codec this block has decoded).</summary>
    public long CorruptPackets => _corruptBefore + (_decoder?.CorruptPackets ?? 0);

    /// <summary>Pictures decoded but discarded while waiting for a keyframe after damage.</summary>
    public long DiscardedFrames => _discardedBefore + (_decoder?.DiscardedFrames ?? 0);

    /// <summary>Frames sent so far.</summary>
    public long FramesDecoded => _index;

    /// <summary>Set when the block ended having met damage, saying how much.</summary>
    public string? CompletionNote { get; private set; }

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        var input = Context.GetInput<EncodedPacket>("in");
        var output = Context.GetOutput<VideoFrame>("out");
        try
        {
            while (await input.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (input.TryRead(out var packet))
                {
                    VideoDecoder decoder;
                    try
                    {
                        decoder = await DecoderForAsync(packet.Codec, output, cancellationToken).ConfigureAwait(false);
                        decoder.Send(packet);
                    }
                    finally
                    {
                        packet.Release();
                    }

                    await DrainAsync(decoder, output, cancellationToken).ConfigureAwait(false);
                }
            }

            if (_decoder is { } last)
            {
                last.SendEndOfStream();
                await DrainAsync(last, output, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Report();
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _decoder?.Dispose();
        _decoder = null;
        return base.DisposeAsync();
    }

    /// <summary>The decoder for <paramref name="codec"/>: a codec change drains and replaces the old one.</summary>
    private async ValueTask<VideoDecoder> DecoderForAsync(VideoCodec codec, IBlockOutput<VideoFrame> output, CancellationToken cancellationToken)
    {
        if (_decoder is { } current)
        {
            if (current.Codec == codec)
            {
                return current;
            }

            current.SendEndOfStream();
            await DrainAsync(current, output, cancellationToken).ConfigureAwait(false);
            _corruptBefore += current.CorruptPackets;
            _discardedBefore += current.DiscardedFrames;
            current.Dispose();
            _decoder = null;
        }

        _decoder = new VideoDecoder(codec, Context.FramePool, Options.Threads);
        return _decoder;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask DrainAsync(VideoDecoder decoder, IBlockOutput<VideoFrame> output, CancellationToken cancellationToken)
    {
        while (decoder.TryReceive(out var frame))
        {
            frame.Index = _index++;
            frame.CaptureTime = DateTimeOffset.UtcNow;

            // The write takes our reference, and releases the frame itself if it throws.
            await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Report()
    {
        if (CorruptPackets == 0 && DiscardedFrames == 0)
        {
            return;
        }

        CompletionNote = $"decode \"{Name}\": {CorruptPackets} corrupt packet(s); {DiscardedFrames} picture(s) discarded until the next keyframe; {_index} frame(s) decoded";
        Console.Error.WriteLine(CompletionNote);
    }
}
