using System.Diagnostics.CodeAnalysis;
using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.FFmpeg;

/// <summary>
/// Decodes compressed packets into pooled <see cref="VideoFrame"/>s with libavcodec. Use:
/// <see cref="Send"/> a packet, then <see cref="TryReceive"/> until it returns false; at the end
/// <see cref="SendEndOfStream"/> and drain the same way. Not thread-safe: one owner drives it.
/// Frames come out as I420 (NV12 when the codec produces NV12); other layouts are converted with libswscale.
/// </summary>
/// <remarks>
/// A packet the codec rejects is counted in <see cref="CorruptPackets"/>, never thrown: live streams lose
/// packets and the decoder must carry on. After such an error <see cref="KeyframeNeeded"/> is set (and
/// <see cref="KeyframeRequested"/> raised) and pictures are discarded until a keyframe decodes, because
/// frames predicted from a broken reference are garbage.
/// <para>
/// Pictures of the served layouts are decoded straight into pooled frames (zero-copy, see
/// VideoDecoder.DirectRendering.cs): the codec may keep such a frame as a reference after handing it
/// out, so it counts in the pool's <see cref="VideoFramePool.Outstanding"/> until the codec lets go
/// (at the end of the stream or on <see cref="Reset"/> for most codecs, at the latest on
/// <see cref="Dispose"/>). Treat received frames as read-only.
/// </para>
/// </remarks>
public sealed partial class VideoDecoder : IDisposable
{
    /// <summary>Codec threads by default: one, so a pipeline's blocks, not the codec, own the cores.</summary>
    public const int DefaultThreads = 1;

    /// <summary>
    /// Output-side errors in a row after which <see cref="TryReceive"/> gives up for now: errors surface
    /// once each, so an endless run would be a codec bug, and a bug must not become a hang.
    /// </summary>
    private const int MaxConsecutiveReceiveErrors = 64;

    private readonly VideoFramePool _pool;
    private readonly int _yuv420p;
    private readonly int _yuvj420p;
    private readonly int _nv12;
    private nint _context;
    private nint _packet;
    private nint _frame;
    private nint _scaler;
    private bool _endOfStreamSent;

    /// <summary>Opens a decoder for <paramref name="codec"/> that rents its output frames from <paramref name="pool"/>.</summary>
    public VideoDecoder(VideoCodec codec, VideoFramePool pool, int threads = DefaultThreads)
        : this(codec, pool, threads, directRendering: true)
    {
    }

    /// <summary>
    /// As the public constructor; <paramref name="directRendering"/> false always copies pictures out of
    /// libavcodec's own buffers (the reference path tests and benchmarks compare against).
    /// </summary>
    internal unsafe VideoDecoder(VideoCodec codec, VideoFramePool pool, int threads, bool directRendering)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        _pool = pool;
        Codec = codec;
        var decoder = CodecLookup.FindDecoder(codec);

        // Pixel format numbers are looked up by name, like codecs, rather than hard-coding the enum.
        _yuv420p = AvUtil.GetPixelFormat("yuv420p");
        _yuvj420p = AvUtil.GetPixelFormat("yuvj420p");
        _nv12 = AvUtil.GetPixelFormat("nv12");

        _context = AvCodec.AllocContext(decoder);
        _packet = AvCodec.PacketAlloc();
        _frame = AvUtil.FrameAlloc();
        if (_context == 0 || _packet == 0 || _frame == 0)
        {
            Dispose();
            throw new OutOfMemoryException($"FFmpeg could not allocate the {codec} decoder's context, packet or frame");
        }

        if (directRendering)
        {
            InstallDirectRendering(decoder);
        }

        // Options go through a dictionary so we never write AVCodecContext fields by offset.
        nint options = 0;
        try
        {
            AvUtil.DictSet(&options, "threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), 0);

            // Report damaged bitstreams as errors instead of silently concealing them, so a corrupt
            // packet is counted and the keyframe request goes out.
            AvUtil.DictSet(&options, "err_detect", "explode", 0);
            var opened = AvCodec.Open(_context, decoder, &options);
            if (opened < 0)
            {
                Dispose();
                throw new InvalidOperationException($"FFmpeg could not open the {CodecLookup.DecoderName(codec)} decoder: {AvUtil.ErrorText(opened)}");
            }
        }
        finally
        {
            AvUtil.DictFree(&options);
        }
    }

    /// <summary>Raised when a corrupt packet makes the decoder wait for a keyframe (ask the sender for one).</summary>
    public event EventHandler? KeyframeRequested;

    /// <summary>The codec this decoder was opened for.</summary>
    public VideoCodec Codec { get; }

    /// <summary>Packets (or pictures) the codec reported as undecodable.</summary>
    public long CorruptPackets { get; private set; }

    /// <summary>Pictures decoded but discarded while waiting for a keyframe after an error.</summary>
    public long DiscardedFrames { get; private set; }

    /// <summary>True from a decode error until the next keyframe decodes.</summary>
    public bool KeyframeNeeded { get; private set; }

    /// <summary>
    /// Hands one packet (borrowed: the caller still owns and releases it) to the codec, which copies it.
    /// Call <see cref="TryReceive"/> until false before sending the next.
    /// </summary>
    public void Send(EncodedPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ObjectDisposedException.ThrowIf(_context == 0, this);
        if (_endOfStreamSent)
        {
            throw new InvalidOperationException($"{Codec} decoder: packet sent after the end of stream; call Reset first");
        }

        if (packet.Length == 0)
        {
            // An empty packet means "end of stream" to FFmpeg; an empty payload from a reader means nothing.
            return;
        }

        Layouts.WritePointer(_packet, Layouts.PacketData, packet.GetDataPointer());
        Layouts.WriteInt32(_packet, Layouts.PacketSize, packet.Length);
        Layouts.WriteInt64(_packet, Layouts.PacketPts, packet.Pts.Ticks);
        Layouts.WriteInt64(_packet, Layouts.PacketDts, packet.Dts is { } dts ? dts.Ticks : AvUtil.NoPts);
        Layouts.WriteInt32(_packet, Layouts.PacketFlags, packet.IsKeyframe ? Layouts.PacketFlagKey : 0);

        // The packet has no AVBufferRef, so libavcodec copies the data before returning.
        var result = AvCodec.SendPacket(_context, _packet);
        Layouts.WritePointer(_packet, Layouts.PacketData, 0);
        Layouts.WriteInt32(_packet, Layouts.PacketSize, 0);
        if (result == AvUtil.ErrorAgain)
        {
            throw new InvalidOperationException($"{Codec} decoder: a packet was sent before every frame was received; call TryReceive until it returns false");
        }

        if (result < 0)
        {
            MarkCorrupt();
        }
    }

    /// <summary>Tells the codec no more packets follow, so it releases the pictures it still holds.</summary>
    public void SendEndOfStream()
    {
        ObjectDisposedException.ThrowIf(_context == 0, this);
        if (_endOfStreamSent)
        {
            return;
        }

        _endOfStreamSent = true;
        AvCodec.SendPacket(_context, 0);
    }

    /// <summary>
    /// Returns the next decoded picture, owned by the caller (release it), or false when the codec needs
    /// more input (or is drained after <see cref="SendEndOfStream"/>).
    /// </summary>
    public bool TryReceive([NotNullWhen(true)] out VideoFrame? frame)
    {
        ObjectDisposedException.ThrowIf(_context == 0, this);
        var errors = 0;
        while (true)
        {
            var result = AvCodec.ReceiveFrame(_context, _frame);
            if (result == AvUtil.ErrorEof && DirectRendering)
            {
                // Drained: the pictures the codec kept for prediction are pooled frames; give them back
                // now rather than at Dispose. Single-threaded h264 and vp8 then hold none; vp9 keeps its
                // next reference set and frame threads keep a few until Dispose.
                AvCodec.FlushBuffers(_context);
            }

            if (result == AvUtil.ErrorAgain || result == AvUtil.ErrorEof)
            {
                frame = null;
                return false;
            }

            if (result < 0)
            {
                // A damaged picture surfaced on the output side (frame threading reports errors late).
                MarkCorrupt();
                if (++errors < MaxConsecutiveReceiveErrors)
                {
                    continue;
                }

                frame = null;
                return false;
            }

            try
            {
                var isKey = Layouts.ReadInt32(_frame, Layouts.FrameKeyFrame) != 0;
                if (KeyframeNeeded && !isKey)
                {
                    DiscardedFrames++;
                    continue;
                }

                KeyframeNeeded = false;
                frame = TakeDirect() ?? CopyOut();
                return true;
            }
            finally
            {
                AvUtil.FrameUnref(_frame);
            }
        }
    }

    /// <summary>Drops everything buffered (after a seek, or to reuse the decoder after end of stream).</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_context == 0, this);
        AvCodec.FlushBuffers(_context);
        _endOfStreamSent = false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        AvUtil.FrameFree(ref _frame);
        AvCodec.PacketFree(ref _packet);

        if (_scaler != 0)
        {
            SwScale.FreeContext(_scaler);
            _scaler = 0;
        }

        // Frees the pictures the codec still holds, so their pooled frames go back before the handle goes.
        AvCodec.FreeContext(ref _context);
        ReleaseDirectRendering();
    }

    private void MarkCorrupt()
    {
        CorruptPackets++;
        if (!KeyframeNeeded)
        {
            KeyframeNeeded = true;
            KeyframeRequested?.Invoke(this, EventArgs.Empty);
        }
    }

    private unsafe VideoFrame CopyOut()
    {
        CopiedFrames++;
        var width = Layouts.ReadInt32(_frame, Layouts.FrameWidth);
        var height = Layouts.ReadInt32(_frame, Layouts.FrameHeight);
        var native = Layouts.ReadInt32(_frame, Layouts.FrameFormat);
        PixelFormat format;
        if (native == _yuv420p || native == _yuvj420p)
        {
            format = PixelFormat.I420;
        }
        else if (native == _nv12)
        {
            format = PixelFormat.Nv12;
        }
        else
        {
            return Convert(width, height, native);
        }

        var output = _pool.Rent(width, height, format);
        output.Pts = FramePts();

        for (var plane = 0; plane < output.PlaneCount; plane++)
        {
            var source = (byte*)Layouts.ReadPointer(_frame, Layouts.FrameData + (plane * sizeof(nint)));
            var linesize = Layouts.ReadInt32(_frame, Layouts.FrameLinesize + (plane * sizeof(int)));
            CopyPlane(source, linesize, output, plane, PixelFormats.RowBytes(format, plane, width), PixelFormats.PlaneHeight(format, plane, height));
        }

        return output;
    }

    /// <summary>
    /// Copies one plane into the pooled frame. When FFmpeg's linesize equals the pool's stride (the usual
    /// case: both align rows, and common widths are multiples of 64) the plane is one block, copied in a
    /// single call; per-row calls cost ~1,400 span set-ups and bounds checks per 720p frame, a visible
    /// share of the decoder thread's time beside the codec. Otherwise row by row.
    /// </summary>
    private static unsafe void CopyPlane(byte* source, int linesize, VideoFrame output, int plane, int rowBytes, int rows)
    {
        var destination = output.GetPlane(plane);
        var stride = output.GetStride(plane);
        if (linesize == stride)
        {
            // The last row stops at its pixels: FFmpeg's buffer need not hold padding after it.
            var bytes = ((long)(rows - 1) * stride) + rowBytes;
            new ReadOnlySpan<byte>(source, checked((int)bytes)).CopyTo(destination);
            return;
        }

        for (var row = 0; row < rows; row++)
        {
            new ReadOnlySpan<byte>(source + ((long)row * linesize), rowBytes).CopyTo(destination.Slice(row * stride, rowBytes));
        }
    }

    private TimeSpan FramePts()
    {
        var pts = Layouts.ReadInt64(_frame, Layouts.FramePts);
        return pts == AvUtil.NoPts ? TimeSpan.Zero : TimeSpan.FromTicks(pts);
    }

    /// <summary>
    /// Other layouts (4:2:2, 4:4:4, high bit depth) become I420 through libswscale, with the ffmpeg CLI's
    /// default filter so the pictures match what `ffmpeg -pix_fmt yuv420p` gives.
    /// </summary>
    private unsafe VideoFrame Convert(int width, int height, int native)
    {
        _scaler = SwScale.GetCachedContext(_scaler, width, height, native, width, height, _yuv420p, SwScale.Bicubic, 0, 0, null);
        if (_scaler == 0)
        {
            throw new NotSupportedException($"{Codec} decoder produced {AvUtil.PixelFormatName(native)} pictures, which libswscale cannot convert to yuv420p");
        }

        var output = _pool.Rent(width, height, PixelFormat.I420);
        output.Pts = FramePts();
        var planes = stackalloc byte*[4];
        var strides = stackalloc int[4];
        for (var plane = 0; plane < 3; plane++)
        {
            planes[plane] = (byte*)output.GetPlanePointer(plane);
            strides[plane] = output.GetStride(plane);
        }

        planes[3] = null;
        strides[3] = 0;

        // The AVFrame's data[] and linesize[] arrays are exactly what sws_scale takes as its source.
        SwScale.Scale(_scaler, (byte**)(_frame + Layouts.FrameData), (int*)(_frame + Layouts.FrameLinesize), 0, height, planes, strides);
        return output;
    }
}
