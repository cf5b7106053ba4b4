using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.FFmpeg;

/// <summary>What <see cref="VideoEncoder"/> produces: codec, picture size and rate control.</summary>
/// <param name="Codec">H.264 (libx264) or VP8 (libvpx); VP9 and AV1 are not offered.</param>
/// <param name="Width">Picture width in pixels; every frame sent must have it (H.264 needs it even).</param>
/// <param name="Height">Picture height in pixels; every frame sent must have it (H.264 needs it even).</param>
public sealed record VideoEncoderSettings(VideoCodec Codec, int Width, int Height)
{
    /// <summary>Nominal frame rate: rate control spreads the bit rate over this many frames a second.</summary>
    public double Fps { get; init; } = 30;

    /// <summary>Target bit rate in kilobits per second.</summary>
    public int BitrateKbps { get; init; } = 2000;

    /// <summary>GOP length in frames: a keyframe at least this often (exactly this often unless requested).</summary>
    public int KeyframeInterval { get; init; } = 60;

    /// <summary>Codec threads; one by default so a pipeline's blocks, not the codec, own the cores.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>libx264 preset (ultrafast … placebo); null = <see cref="VideoEncoder.DefaultH264Preset"/>. Ignored by VP8.</summary>
    public string? Preset { get; init; }
}

/// <summary>
/// Encodes <see cref="VideoFrame"/>s into pooled <see cref="EncodedPacket"/>s with libavcodec, tuned for live
/// streaming: no frame reordering, no lookahead, so a packet leaves as soon as its frame is encoded. Use:
/// <see cref="Send"/> a frame, then <see cref="TryReceive"/> until it returns false; at the end
/// <see cref="SendEndOfStream"/> and drain the same way. Not thread-safe: one owner drives it.
/// </summary>
/// <remarks>
/// H.264 is libx264 constrained baseline, tune zerolatency, Annex-B, with SPS and PPS in-band before every
/// IDR (WebRTC receivers and our MP4 muxer read them from the stream; no global header). VP8 is libvpx with
/// the realtime deadline, no lag and error-resilient mode. Packet timestamps are the frames' own
/// <see cref="VideoFrame.Pts"/>: the codec counts frames and we map its count back.
/// </remarks>
public sealed class VideoEncoder : IDisposable
{
    /// <summary>
    /// libx264 preset when none is given: veryfast encodes 720p far above real time on one core while keeping
    /// most of the quality the slower presets buy (ultrafast drops the deblocking filter and looks blocky).
    /// </summary>
    public const string DefaultH264Preset = "veryfast";

    /// <summary>Highest frame rate accepted; beyond it the setting is more likely a unit mistake (ticks, Hz·1000).</summary>
    public const double MaxFps = 1000;

    /// <summary>
    /// libvpx speed for VP8 in realtime mode (0 slowest … 16 fastest): 6 is what WebRTC's own VP8 encoder
    /// uses on desktop CPUs.
    /// </summary>
    private const int Vp8CpuUsed = 6;

    /// <summary>
    /// Frame rate precision: fps is turned into a rational with this denominator (29.97 → 2997/100), fine
    /// enough for every rate a camera or a player uses.
    /// </summary>
    private const int FpsDenominator = 1000;

    /// <summary>
    /// Frames whose timestamps are remembered until their packet comes out. Live settings keep the codec's
    /// delay at zero frames (a few with frame threads); a power of two far above that costs 4 KB.
    /// </summary>
    private const int PtsRingSize = 256;

    private readonly EncodedPacketPool _pool;
    private readonly TimeSpan[] _ptsRing = new TimeSpan[PtsRingSize];
    private readonly string _codecName;
    private readonly int _yuv420p;
    private VideoFramePool? _scratchPool;
    private VideoFrame? _scratch;
    private nint _context;
    private nint _frame;
    private nint _packet;
    private bool _keyframeRequested;
    private bool _endOfStreamSent;

    /// <summary>Opens an encoder for <paramref name="settings"/> whose packets are rented from <paramref name="pool"/>.</summary>
    /// <exception cref="NotSupportedException">The codec is not H.264 or VP8, or the system FFmpeg lacks its encoder.</exception>
    /// <exception cref="VideoEncoderException">FFmpeg refused the settings (e.g. odd H.264 size, unknown preset).</exception>
    public unsafe VideoEncoder(VideoEncoderSettings settings, EncodedPacketPool pool)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(pool);
        Validate(settings);
        Settings = settings;
        _pool = pool;
        _codecName = EncoderName(settings.Codec);
        FFmpegRuntime.EnsureAvailable();
        var encoder = AvCodec.FindEncoderByName(_codecName);
        if (encoder == 0)
        {
            throw new NotSupportedException($"the system FFmpeg has no encoder named '{_codecName}' for {settings.Codec}; install Debian's ffmpeg libraries (scripts/setup.sh)");
        }

        QuietInfoLogging();
        _yuv420p = AvUtil.GetPixelFormat("yuv420p");
        _context = AvCodec.AllocContext(encoder);
        _frame = AvUtil.FrameAlloc();
        _packet = AvCodec.PacketAlloc();
        if (_context == 0 || _frame == 0 || _packet == 0)
        {
            Dispose();
            throw new OutOfMemoryException($"FFmpeg could not allocate the {_codecName} encoder's context, frame or packet");
        }

        try
        {
            Configure(settings);
            var opened = AvCodec.Open(_context, encoder, null);
            if (opened < 0)
            {
                // FFmpeg checks most values (preset names, sizes) only here, so name what we asked for.
                var preset = settings.Codec == VideoCodec.H264 ? $"preset '{settings.Preset ?? DefaultH264Preset}', " : string.Empty;
                throw Failure($"could not be opened ({preset}{settings.Fps} fps, {settings.BitrateKbps} kbps, keyframe interval {settings.KeyframeInterval}, {settings.Threads} thread(s))", opened);
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        // The frame's fixed fields; Send fills planes, pts and picture type.
        Layouts.WriteInt32(_frame, Layouts.FrameWidth, settings.Width);
        Layouts.WriteInt32(_frame, Layouts.FrameHeight, settings.Height);
        Layouts.WriteInt32(_frame, Layouts.FrameFormat, _yuv420p);
    }

    /// <summary>What this encoder was opened with.</summary>
    public VideoEncoderSettings Settings { get; }

    /// <summary>Frames handed to the codec.</summary>
    public long FramesSent { get; private set; }

    /// <summary>Packets handed out by <see cref="TryReceive"/>.</summary>
    public long PacketsReceived { get; private set; }

    /// <summary>
    /// Hands one frame (borrowed: the caller still owns and releases it) to the codec, which copies it.
    /// Any <see cref="PixelFormat"/>: other than I420 is converted first. Call <see cref="TryReceive"/> until
    /// false before sending the next.
    /// </summary>
    /// <exception cref="ArgumentException">The frame's size differs from <see cref="Settings"/>.</exception>
    public unsafe void Send(VideoFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ObjectDisposedException.ThrowIf(_context == 0, this);
        if (_endOfStreamSent)
        {
            throw new InvalidOperationException($"{_codecName} encoder: frame sent after the end of stream");
        }

        if (frame.Width != Settings.Width || frame.Height != Settings.Height)
        {
            throw new ArgumentException($"{_codecName} encoder opened for {Settings.Width}x{Settings.Height} was sent a {frame.Width}x{frame.Height} frame", nameof(frame));
        }

        var pixels = frame;
        if (frame.Format != PixelFormat.I420)
        {
            pixels = Scratch();
            PixelConverter.Convert(frame, pixels);
        }

        for (var plane = 0; plane < 3; plane++)
        {
            Layouts.WritePointer(_frame, Layouts.FrameData + (plane * sizeof(nint)), pixels.GetPlanePointer(plane));
            Layouts.WriteInt32(_frame, Layouts.FrameLinesize + (plane * sizeof(int)), pixels.GetStride(plane));
        }

        // The codec counts frames (time_base = 1/fps) and we keep the real pts beside the count.
        var sequence = FramesSent;
        _ptsRing[sequence & (PtsRingSize - 1)] = frame.Pts;
        Layouts.WriteInt64(_frame, Layouts.FramePts, sequence);
        Layouts.WriteInt32(_frame, Layouts.FramePictType, _keyframeRequested ? Layouts.PictureTypeI : Layouts.PictureTypeNone);

        // Our frame has no AVBufferRef, so libavcodec copies the planes into its own buffer before returning.
        var result = AvCodec.SendFrame(_context, _frame);
        for (var plane = 0; plane < 3; plane++)
        {
            Layouts.WritePointer(_frame, Layouts.FrameData + (plane * sizeof(nint)), 0);
        }

        if (result == AvUtil.ErrorAgain)
        {
            throw new InvalidOperationException($"{_codecName} encoder: a frame was sent before every packet was received; call TryReceive until it returns false");
        }

        if (result < 0)
        {
            throw Failure("rejected a frame", result);
        }

        _keyframeRequested = false;
        FramesSent++;
    }

    /// <summary>Makes the next frame sent a keyframe (an IDR for H.264): what a WebRTC PLI asks for.</summary>
    public void RequestKeyframe() => _keyframeRequested = true;

    /// <summary>Tells the codec no more frames follow, so it releases the packets it still holds.</summary>
    public void SendEndOfStream()
    {
        ObjectDisposedException.ThrowIf(_context == 0, this);
        if (_endOfStreamSent)
        {
            return;
        }

        _endOfStreamSent = true;
        var result = AvCodec.SendFrame(_context, 0);
        if (result < 0 && result != AvUtil.ErrorEof)
        {
            throw Failure("could not be flushed", result);
        }
    }

    /// <summary>
    /// Returns the next packet, owned by the caller (release it), or false when the codec needs more input
    /// (or is drained after <see cref="SendEndOfStream"/>).
    /// </summary>
    public bool TryReceive([NotNullWhen(true)] out EncodedPacket? packet)
    {
        ObjectDisposedException.ThrowIf(_context == 0, this);
        var result = AvCodec.ReceivePacket(_context, _packet);
        if (result == AvUtil.ErrorAgain || result == AvUtil.ErrorEof)
        {
            packet = null;
            return false;
        }

        if (result < 0)
        {
            throw Failure("failed to produce a packet", result);
        }

        try
        {
            packet = CopyOut();
            return true;
        }
        finally
        {
            AvCodec.PacketUnref(_packet);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _scratch?.Release();
        _scratch = null;
        AvUtil.FrameFree(ref _frame);
        AvCodec.PacketFree(ref _packet);
        AvCodec.FreeContext(ref _context);
    }

    /// <summary>FFmpeg's encoder name for each codec we encode.</summary>
    internal static string EncoderName(VideoCodec codec) => codec switch
    {
        VideoCodec.H264 => "libx264",
        VideoCodec.Vp8 => "libvpx",
        VideoCodec.Vp9 or VideoCodec.Av1 => throw new NotSupportedException($"encoding {codec} is not supported: the encoder offers H264 (libx264) and Vp8 (libvpx)"),
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "unknown video codec"),
    };

    /// <summary>Frame rate as FFmpeg's rational, e.g. 29.97 → 2997/100.</summary>
    internal static (int Numerator, int Denominator) FpsRational(double fps)
    {
        var numerator = (int)Math.Round(fps * FpsDenominator);
        var divisor = Gcd(numerator, FpsDenominator);
        return (numerator / divisor, FpsDenominator / divisor);
    }

    /// <summary>
    /// libx264 and libvpx write a banner when opened and statistics when closed at FFmpeg's default
    /// level (info), a dozen lines per encoder on stderr amid the runner's own output. Lower it to
    /// warning, but only from the untouched default, so a host that chose a level keeps it.
    /// </summary>
    private static void QuietInfoLogging()
    {
        if (AvUtil.LogGetLevel() == AvUtil.LogInfo)
        {
            AvUtil.LogSetLevel(AvUtil.LogWarning);
        }
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    private static void Validate(VideoEncoderSettings settings)
    {
        _ = EncoderName(settings.Codec);
        if (settings.Width <= 0 || settings.Height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), $"{settings.Codec} encoder: size {settings.Width}x{settings.Height} must be positive");
        }

        if (!(settings.Fps > 0 && settings.Fps <= MaxFps) || Math.Round(settings.Fps * FpsDenominator) < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Fps, $"{settings.Codec} encoder: Fps must be in (0, {MaxFps}]");
        }

        if (settings.BitrateKbps <= 0 || settings.BitrateKbps > int.MaxValue / 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.BitrateKbps, $"{settings.Codec} encoder: BitrateKbps must be positive (and below {int.MaxValue / 1000})");
        }

        if (settings.KeyframeInterval < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.KeyframeInterval, $"{settings.Codec} encoder: KeyframeInterval must be at least 1 frame");
        }

        if (settings.Threads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Threads, $"{settings.Codec} encoder: Threads must not be negative (0 lets the codec choose)");
        }
    }

    private void Configure(VideoEncoderSettings settings)
    {
        var (fpsNumerator, fpsDenominator) = FpsRational(settings.Fps);
        var bitsPerSecond = settings.BitrateKbps * 1000L;

        // Generic AVCodecContext fields, by AVOption name (options_table.h).
        Set("video_size", AvUtil.OptionSetImageSize(_context, "video_size", settings.Width, settings.Height, 0));
        Set("pixel_format", AvUtil.OptionSetPixelFormat(_context, "pixel_format", _yuv420p, 0));
        Set("time_base", AvUtil.OptionSetRational(_context, "time_base", new AvRational(fpsDenominator, fpsNumerator), 0));
        Set("b", AvUtil.OptionSetInt(_context, "b", bitsPerSecond, 0));

        // A one-second rate buffer: bursts (keyframes) are allowed, but the link is never over-driven for long.
        Set("maxrate", AvUtil.OptionSetInt(_context, "maxrate", bitsPerSecond, 0));
        Set("bufsize", AvUtil.OptionSetInt(_context, "bufsize", bitsPerSecond, 0));
        Set("g", AvUtil.OptionSetInt(_context, "g", settings.KeyframeInterval, 0));

        // Equal to the GOP so libvpx places keyframes at fixed distances (libx264 clamps it to GOP/2+1,
        // harmless because its scene-cut detection is off below).
        Set("keyint_min", AvUtil.OptionSetInt(_context, "keyint_min", settings.KeyframeInterval, 0));

        // Live video: no frame reordering, so decode order is presentation order and there is no delay.
        Set("bf", AvUtil.OptionSetInt(_context, "bf", 0, 0));
        Set("threads", AvUtil.OptionSetInt(_context, "threads", settings.Threads, 0));

        // framerate has no AVOption in lavc 59; libx264 prefers it over time_base for rate control.
        Layouts.WriteInt32(_context, Layouts.CodecContextFramerate, fpsNumerator);
        Layouts.WriteInt32(_context, Layouts.CodecContextFramerate + sizeof(int), fpsDenominator);

        const int Private = AvUtil.OptionSearchChildren;
        if (settings.Codec == VideoCodec.H264)
        {
            Set("preset", AvUtil.OptionSet(_context, "preset", settings.Preset ?? DefaultH264Preset, Private));
            Set("tune", AvUtil.OptionSet(_context, "tune", "zerolatency", Private));

            // x264's "baseline" is constrained baseline (it sets constraint_set1), what WebRTC negotiates (42e0xx).
            Set("profile", AvUtil.OptionSet(_context, "profile", "baseline", Private));

            // A requested keyframe must be an IDR: a receiver that lost everything can start only there.
            Set("forced-idr", AvUtil.OptionSetInt(_context, "forced-idr", 1, Private));

            // No scene-cut keyframes: the GOP is exactly KeyframeInterval, which muxers and tests rely on.
            Set("sc_threshold", AvUtil.OptionSetInt(_context, "sc_threshold", 0, Private));
        }
        else
        {
            Set("deadline", AvUtil.OptionSet(_context, "deadline", "realtime", Private));
            Set("cpu-used", AvUtil.OptionSetInt(_context, "cpu-used", Vp8CpuUsed, Private));
            Set("lag-in-frames", AvUtil.OptionSetInt(_context, "lag-in-frames", 0, Private));

            // Error-resilient: a lost packet damages less, what libvpx recommends for real-time transport.
            Set("error-resilient", AvUtil.OptionSet(_context, "error-resilient", "default", Private));
        }
    }

    private void Set(string option, int result)
    {
        if (result < 0)
        {
            throw Failure($"rejected option '{option}'", result);
        }
    }

    private VideoEncoderException Failure(string what, int error) =>
        new(Settings.Codec, _codecName, Settings.Width, Settings.Height, error, $"{_codecName} encoder ({Settings.Codec} {Settings.Width}x{Settings.Height}) {what}: {AvUtil.ErrorText(error)}");

    private VideoFrame Scratch()
    {
        if (_scratch is null)
        {
            // One frame, reused for every conversion; its own pool so Shared pools' counts stay the caller's.
            _scratchPool ??= new VideoFramePool(retainedPerShape: 1);
            _scratch = _scratchPool.Rent(Settings.Width, Settings.Height, PixelFormat.I420);
        }

        return _scratch;
    }

    private unsafe EncodedPacket CopyOut()
    {
        var size = Layouts.ReadInt32(_packet, Layouts.PacketSize);
        var data = (byte*)Layouts.ReadPointer(_packet, Layouts.PacketData);
        var packet = _pool.Rent(size);
        new ReadOnlySpan<byte>(data, size).CopyTo(packet.Data);
        packet.Codec = Settings.Codec;
        var pts = Layouts.ReadInt64(_packet, Layouts.PacketPts);
        var dts = Layouts.ReadInt64(_packet, Layouts.PacketDts);
        packet.Pts = TimeOf(pts);
        packet.Dts = dts == AvUtil.NoPts ? packet.Pts : TimeOf(dts);
        packet.IsKeyframe = (Layouts.ReadInt32(_packet, Layouts.PacketFlags) & Layouts.PacketFlagKey) != 0;
        packet.Index = PacketsReceived++;
        return packet;
    }

    /// <summary>The real timestamp of the frame the codec numbered <paramref name="sequence"/>.</summary>
    private TimeSpan TimeOf(long sequence)
    {
        if (sequence >= 0 && sequence < FramesSent && sequence > FramesSent - PtsRingSize)
        {
            return _ptsRing[sequence & (PtsRingSize - 1)];
        }

        // Outside the remembered window (never with live settings): extrapolate at the nominal rate.
        return sequence == AvUtil.NoPts ? TimeSpan.Zero : TimeSpan.FromSeconds(sequence / Settings.Fps);
    }
}
