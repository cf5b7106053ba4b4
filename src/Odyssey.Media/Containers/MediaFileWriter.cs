using System.Globalization;
using Odyssey.Media.FFmpeg;
using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.Containers;

/// <summary>
/// Remuxes encoded packets into an MP4, MKV or WebM file (chosen by extension) with libavformat, without
/// re-encoding. The file is written under <see cref="PartialPath"/> and renamed to <see cref="Path"/> by
/// <see cref="Complete"/>, after the trailer (MP4's moov index) is written, so an interrupted run never
/// leaves a half-written file under the final name. Not thread-safe: one owner drives it.
/// </summary>
/// <remarks>
/// <para>The container header is written at the first keyframe: packets before it cannot be decoded
/// and are skipped (counted in <see cref="PacketsSkipped"/>). Timestamps start at 0 from that keyframe.</para>
/// <para>Picture size: from the <see cref="VideoStreamInfo"/> given, or, when it says 0 (or none is
/// given), learnt by decoding the first keyframe — one decode per file, and it works for every codec
/// FFmpeg decodes, where parsing headers would mean an SPS parser for H.264 with its cropping rules,
/// and more for the rest.</para>
/// <para>H.264 extradata is the first keyframe's SPS and PPS in Annex-B form: FFmpeg's MP4 and Matroska
/// muxers turn it into avcC and convert each packet to length-prefixed NAL units themselves.</para>
/// <para>Each packet is written when the next arrives, so its duration is the gap to the next one's
/// decode time; the last packet repeats the gap before it (or the frame rate, when that is all there is).</para>
/// </remarks>
public sealed class MediaFileWriter : IDisposable
{
    /// <summary>The stream time base we ask for: 90 kHz, RTP's video clock, exact for every common rate.</summary>
    private const int RequestedTimeBase = 90_000;

    private const int H264NalSps = 7; // H.264 §7.4.1.2
    private const int H264NalPps = 8;

    private readonly MediaContainer _container;
    private readonly VideoStreamInfo? _info;
    private nint _format;
    private nint _stream;
    private nint _packet;
    private EncodedPacket? _held;
    private VideoCodec _codec;
    private long _timeBaseNumerator;
    private long _timeBaseDenominator;
    private TimeSpan _origin;
    private long _lastDts = long.MinValue;
    private long _lastDuration;
    private bool _completed;

    /// <summary>Prepares to write <paramref name="path"/>; nothing is created until the first keyframe.</summary>
    /// <param name="path">The final file name; its extension (.mp4, .m4v, .mov, .mkv, .webm) picks the container.</param>
    /// <param name="stream">Codec, size and rate of the stream, or null to take them from the packets.</param>
    /// <exception cref="NotSupportedException">The extension, or the codec in that container, is not one we write.</exception>
    public MediaFileWriter(string path, VideoStreamInfo? stream = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var container = MediaContainers.FromPath(path);
        if (container is not { } known || !MediaContainers.IsWritable(known))
        {
            throw new NotSupportedException($"{path}: cannot write \"{System.IO.Path.GetExtension(path)}\" files (expected {MediaContainers.WritableExtensions})");
        }

        _container = known;
        _info = stream;
        Path = path;
        PartialPath = PartialPathFor(path);
        if (stream is not null)
        {
            CheckCodec(stream.Codec);
        }
    }

    /// <summary>The final file name, which exists only after <see cref="Complete"/>.</summary>
    public string Path { get; }

    /// <summary>The name written to until <see cref="Complete"/> renames it.</summary>
    public string PartialPath { get; }

    /// <summary>Packets in the file (or held to be written next).</summary>
    public long PacketsWritten { get; private set; }

    /// <summary>Packets dropped because no keyframe had come yet.</summary>
    public long PacketsSkipped { get; private set; }

    /// <summary>Picture width in the header; 0 before the first keyframe.</summary>
    public int Width { get; private set; }

    /// <summary>Picture height in the header; 0 before the first keyframe.</summary>
    public int Height { get; private set; }

    /// <summary>True when <paramref name="path"/> has an extension this writer produces.</summary>
    public static bool SupportsPath(string path) => path is not null && MediaContainers.FromPath(path) is { } container && MediaContainers.IsWritable(container);

    /// <summary>The extensions this writer produces, for messages.</summary>
    public static string SupportedExtensions => MediaContainers.WritableExtensions;

    /// <summary>
    /// The temporary name for <paramref name="path"/>: ".partial" before the extension, which stays last
    /// so tools still recognise the file.
    /// </summary>
    public static string PartialPathFor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? "", System.IO.Path.GetFileNameWithoutExtension(path) + ".partial" + System.IO.Path.GetExtension(path));
    }

    /// <summary>Adds a packet (borrowed: the caller keeps its reference). The first keyframe opens the file.</summary>
    /// <exception cref="MediaFileException">The muxer rejected the packet (e.g. timestamps going backwards).</exception>
    public void Write(EncodedPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (_completed)
        {
            throw new InvalidOperationException($"{Path}: packet written after Complete");
        }

        if (_format == 0)
        {
            if (!packet.IsKeyframe)
            {
                PacketsSkipped++;
                return;
            }

            Open(packet);
        }
        else if (packet.Codec != _codec)
        {
            throw new MediaFileException(Path, $"packet is {packet.Codec} but the file holds {_codec}", packetIndex: PacketsWritten);
        }

        packet.AddRef();
        var previous = _held;
        _held = packet;
        PacketsWritten++;
        if (previous is not null)
        {
            try
            {
                WriteHeld(previous, StreamTime((packet.Dts ?? packet.Pts) - _origin));
            }
            finally
            {
                previous.Release();
            }
        }
    }

    /// <summary>
    /// Writes the last packet and the trailer, closes the file and renames it to <see cref="Path"/>
    /// (replacing an older file). Returns false, writing nothing, when no keyframe ever arrived.
    /// </summary>
    public bool Complete()
    {
        if (_completed)
        {
            return File.Exists(Path);
        }

        _completed = true;
        if (_format == 0)
        {
            return false;
        }

        if (_held is { } last)
        {
            _held = null;
            try
            {
                WriteHeld(last, null);
            }
            finally
            {
                last.Release();
            }
        }

        var trailer = AvFormat.WriteTrailer(_format);
        Close();
        if (trailer < 0)
        {
            throw new MediaFileException(PartialPath, $"could not finish the {MediaContainers.DisplayName(_container)} file: {AvUtil.ErrorText(trailer)}");
        }

        File.Move(PartialPath, Path, overwrite: true);
        return true;
    }

    /// <summary>
    /// Releases FFmpeg's resources. Without <see cref="Complete"/>, the unfinished file stays under
    /// <see cref="PartialPath"/> (evidence of the interrupted run), never under <see cref="Path"/>.
    /// </summary>
    public void Dispose()
    {
        _held?.Release();
        _held = null;
        Close();
        _completed = true;
    }

    private void CheckCodec(VideoCodec codec)
    {
        if (codec == VideoCodec.Av1)
        {
            // MP4 and Matroska want an av1C record built from the sequence header; not written yet.
            throw new NotSupportedException($"{Path}: writing AV1 is not supported yet (H.264, VP8 and VP9 are)");
        }

        if (_container == MediaContainer.WebM && codec == VideoCodec.H264)
        {
            throw new NotSupportedException($"{Path}: WebM holds only VP8, VP9 and AV1, not H.264; write .mp4 or .mkv");
        }
    }

    private unsafe void Open(EncodedPacket keyframe)
    {
        _codec = _info?.Codec ?? keyframe.Codec;
        if (keyframe.Codec != _codec)
        {
            throw new MediaFileException(Path, $"packet is {keyframe.Codec} but the stream was described as {_codec}", packetIndex: 0);
        }

        CheckCodec(_codec);
        FFmpegRuntime.EnsureAvailable();
        (Width, Height) = _info is { Width: > 0, Height: > 0 } info ? (info.Width, info.Height) : MeasurePicture(keyframe);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _packet = AvCodec.PacketAlloc();
        nint format = 0;
        var allocated = AvFormat.AllocOutputContext(&format, 0, MediaContainers.MuxerName(_container), PartialPath);
        if (allocated < 0 || _packet == 0)
        {
            throw new MediaFileException(Path, $"FFmpeg could not create the {MediaContainers.MuxerName(_container)} muxer: {AvUtil.ErrorText(allocated)}");
        }

        _format = format;
        try
        {
            ConfigureStream(keyframe);
            var outputFormat = Layouts.ReadPointer(_format, FormatLayouts.ContextOutputFormat);
            if ((Layouts.ReadInt32(outputFormat, FormatLayouts.OutputFormatFlags) & AvFormat.FormatNoFile) == 0)
            {
                var opened = AvFormat.IoOpen((nint*)(_format + FormatLayouts.ContextIo), PartialPath, AvFormat.IoWrite);
                if (opened < 0)
                {
                    throw new IOException($"{PartialPath}: cannot create the file: {AvUtil.ErrorText(opened)}");
                }
            }

            var header = AvFormat.WriteHeader(_format, null);
            if (header < 0)
            {
                throw new MediaFileException(Path, $"the {MediaContainers.DisplayName(_container)} muxer refused a {_codec} {Width}x{Height} stream: {AvUtil.ErrorText(header)}");
            }

            // Muxers choose their own clock (Matroska counts milliseconds); read back the one in force.
            _timeBaseNumerator = Layouts.ReadInt32(_stream, FormatLayouts.StreamTimeBase);
            _timeBaseDenominator = Layouts.ReadInt32(_stream, FormatLayouts.StreamTimeBase + sizeof(int));
            _origin = keyframe.Pts;
            if (_info is { FrameRate: > 0 } rated)
            {
                _lastDuration = StreamTime(TimeSpan.FromSeconds(1 / rated.FrameRate));
            }
        }
        catch
        {
            Close();
            File.Delete(PartialPath);
            throw;
        }
    }

    private unsafe void ConfigureStream(EncodedPacket keyframe)
    {
        _stream = AvFormat.NewStream(_format, 0);
        var descriptor = AvCodec.DescriptorByName(MediaContainers.CodecName(_codec));
        if (_stream == 0 || descriptor == 0)
        {
            throw new MediaFileException(Path, $"FFmpeg could not add a {_codec} stream");
        }

        Layouts.WriteInt32(_stream, FormatLayouts.StreamTimeBase, 1);
        Layouts.WriteInt32(_stream, FormatLayouts.StreamTimeBase + sizeof(int), RequestedTimeBase);
        var parameters = Layouts.ReadPointer(_stream, FormatLayouts.StreamCodecParameters);
        Layouts.WriteInt32(parameters, FormatLayouts.ParametersCodecType, AvFormat.MediaTypeVideo);
        Layouts.WriteInt32(parameters, FormatLayouts.ParametersCodecId, Layouts.ReadInt32(descriptor, FormatLayouts.DescriptorId));
        Layouts.WriteInt32(parameters, FormatLayouts.ParametersWidth, Width);
        Layouts.WriteInt32(parameters, FormatLayouts.ParametersHeight, Height);

        // MP4's VP9 configuration box (vpcC) is built from the pixel format; 8-bit 4:2:0 is what the
        // pipeline's encoders and WebRTC produce.
        Layouts.WriteInt32(parameters, FormatLayouts.ParametersFormat, AvUtil.GetPixelFormat("yuv420p"));
        if (_codec == VideoCodec.H264)
        {
            var extradata = ParameterSets(keyframe.Data);
            if (extradata.Length == 0)
            {
                throw new MediaFileException(Path, "the first H.264 keyframe carries no SPS/PPS, which the container header needs", packetIndex: 0);
            }

            // FFmpeg frees extradata with the context, so it must come from av_malloc, padded with zeros.
            var buffer = AvUtil.AllocZeroed((nuint)(extradata.Length + AvUtil.InputPadding));
            if (buffer == 0)
            {
                throw new OutOfMemoryException($"{Path}: FFmpeg could not allocate {extradata.Length} bytes of extradata");
            }

            extradata.CopyTo(new Span<byte>((void*)buffer, extradata.Length));
            Layouts.WritePointer(parameters, FormatLayouts.ParametersExtradata, buffer);
            Layouts.WriteInt32(parameters, FormatLayouts.ParametersExtradataSize, extradata.Length);
        }
    }

    /// <summary>Writes one packet; <paramref name="nextDts"/> (stream time) gives its duration, null for the last.</summary>
    private void WriteHeld(EncodedPacket packet, long? nextDts)
    {
        var pts = StreamTime(packet.Pts - _origin);
        var dts = StreamTime((packet.Dts ?? packet.Pts) - _origin);
        var index = PacketsWritten - (nextDts is null ? 1 : 2);
        if (dts <= _lastDts)
        {
            throw new MediaFileException(Path, $"decode time {packet.Dts ?? packet.Pts} is not after the previous packet's; the container needs increasing timestamps", packetIndex: index);
        }

        if (nextDts is { } next && next > dts)
        {
            _lastDuration = next - dts;
        }

        Layouts.WritePointer(_packet, Layouts.PacketData, packet.GetDataPointer());
        Layouts.WriteInt32(_packet, Layouts.PacketSize, packet.Length);
        Layouts.WriteInt64(_packet, Layouts.PacketPts, pts);
        Layouts.WriteInt64(_packet, Layouts.PacketDts, dts);
        Layouts.WriteInt64(_packet, FormatLayouts.PacketDuration, _lastDuration);
        Layouts.WriteInt32(_packet, FormatLayouts.PacketStreamIndex, 0);
        Layouts.WriteInt32(_packet, Layouts.PacketFlags, packet.IsKeyframe ? Layouts.PacketFlagKey : 0);

        // Not refcounted: av_write_frame copies what it keeps and leaves our packet as it was.
        var result = AvFormat.WriteFrame(_format, _packet);
        Layouts.WritePointer(_packet, Layouts.PacketData, 0);
        Layouts.WriteInt32(_packet, Layouts.PacketSize, 0);
        if (result < 0)
        {
            throw new MediaFileException(Path, $"the {MediaContainers.DisplayName(_container)} muxer rejected a packet: {AvUtil.ErrorText(result)}", packetIndex: index);
        }

        _lastDts = dts;
    }

    /// <summary>Learns the picture size by decoding the keyframe (see the remarks).</summary>
    private (int Width, int Height) MeasurePicture(EncodedPacket keyframe)
    {
        var frames = new VideoFramePool(retainedPerShape: 0);
        using var decoder = new VideoDecoder(_codec, frames);
        decoder.Send(keyframe);
        decoder.SendEndOfStream();
        if (!decoder.TryReceive(out var picture))
        {
            throw new MediaFileException(Path, $"the first {_codec} keyframe does not decode, so the picture size is unknown; give it in the VideoStreamInfo", packetIndex: 0);
        }

        var size = (picture.Width, picture.Height);
        picture.Release();
        while (decoder.TryReceive(out var extra))
        {
            extra.Release();
        }

        return size;
    }

    private unsafe void Close()
    {
        if (_format != 0)
        {
            AvFormat.IoClose((nint*)(_format + FormatLayouts.ContextIo));
            AvFormat.FreeContext(_format);
            _format = 0;
            _stream = 0;
        }

        AvCodec.PacketFree(ref _packet);
    }

    private long StreamTime(TimeSpan time)
    {
        // Rounded to the nearest tick of the stream clock; Int128 so nothing overflows before dividing.
        var scaled = (Int128)time.Ticks * _timeBaseDenominator;
        var unit = (Int128)_timeBaseNumerator * TimeSpan.TicksPerSecond;
        var rounded = scaled >= 0 ? (scaled + (unit / 2)) / unit : (scaled - (unit / 2)) / unit;
        return (long)rounded;
    }

    /// <summary>The SPS and PPS NAL units of an Annex-B access unit, each behind a 4-byte start code.</summary>
    private static byte[] ParameterSets(ReadOnlySpan<byte> accessUnit)
    {
        using var sets = new MemoryStream();
        var start = NextUnit(accessUnit, 0, out var startCode);
        while (start >= 0)
        {
            var next = NextUnit(accessUnit, start + startCode, out var nextCode);
            var unit = accessUnit[(start + startCode)..(next < 0 ? accessUnit.Length : next)];
            if (unit.Length > 0 && (unit[0] & 0x1F) is H264NalSps or H264NalPps)
            {
                sets.Write([0, 0, 0, 1]);
                sets.Write(unit);
            }

            (start, startCode) = (next, nextCode);
        }

        return sets.ToArray();
    }

    /// <summary>Offset of the next start code at or after <paramref name="from"/> (3 or 4 bytes long), or -1.</summary>
    private static int NextUnit(ReadOnlySpan<byte> data, int from, out int startCodeLength)
    {
        for (var i = from; i + 2 < data.Length; i++)
        {
            if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1)
            {
                // 00 00 00 01: the zero before belongs to the start code, not to the previous unit.
                var fourByte = i > from && data[i - 1] == 0;
                startCodeLength = fourByte ? 4 : 3;
                return fourByte ? i - 1 : i;
            }
        }

        startCodeLength = 0;
        return -1;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Path} ({_codec} {Width}x{Height}, {PacketsWritten} packets)");
}
