using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using Odyssey.Media.FFmpeg;
using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.Containers;

/// <summary>
/// Reads the video stream of a file — MP4, MKV, WebM, IVF or raw H.264 Annex-B, chosen by extension —
/// into pooled <see cref="EncodedPacket"/>s with libavformat. H.264 comes out as Annex-B whatever the
/// container stores (the project's one H.264 form), converted by FFmpeg's h264_mp4toannexb filter.
/// Not thread-safe: one owner drives it.
/// </summary>
/// <remarks>
/// Raw H.264 has no timestamps: packet n is stamped n / <c>rawFrameRate</c> in decode order, right for
/// streams without B-frames. Errors are <see cref="MediaFileException"/>s naming the file (and the packet
/// and byte offset where known); a packet the demuxer could only read in part (a truncated file) is such
/// an error, not a short packet.
/// </remarks>
public sealed class MediaFileReader : IDisposable
{
    /// <summary>Frame rate that stamps raw H.264 unless the caller gives one.</summary>
    public const double DefaultRawFrameRate = 30;

    /// <summary>Packets larger than this are taken as a damaged file rather than copied.</summary>
    public const int MaxPacketSize = 64 * 1024 * 1024;

    private const string AnnexBFilter = "h264_mp4toannexb";

    private readonly EncodedPacketPool _pool;
    private readonly MediaContainer _container;
    private readonly double _rawFrameRate;
    private nint _format;
    private nint _packet;
    private nint _filter;
    private int _streamIndex;
    private long _timeBaseNumerator;
    private long _timeBaseDenominator;
    private long _startTime;
    private long _fileIndex;
    private long _delivered;
    private long _lastPosition;
    private bool _demuxerEnded;
    private bool _filterFlushed;

    /// <summary>Opens <paramref name="path"/> and finds its video stream; packets are rented from <paramref name="pool"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NotSupportedException">The extension or the stream's codec is not one we read.</exception>
    /// <exception cref="MediaFileException">The file is damaged, not the container its extension names, or has no video stream.</exception>
    public MediaFileReader(string path, EncodedPacketPool pool, double rawFrameRate = DefaultRawFrameRate)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rawFrameRate);
        _container = MediaContainers.FromPath(path)
            ?? throw new NotSupportedException($"{path}: unknown video file extension \"{System.IO.Path.GetExtension(path)}\" (expected {MediaContainers.ReadableExtensions})");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such video file", path);
        }

        FFmpegRuntime.EnsureAvailable();
        Path = path;
        _pool = pool;
        _rawFrameRate = rawFrameRate;
        _packet = AvCodec.PacketAlloc();
        if (_packet == 0)
        {
            throw new OutOfMemoryException($"{path}: FFmpeg could not allocate a packet");
        }

        try
        {
            Open();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The file being read.</summary>
    public string Path { get; }

    /// <summary>The video stream's codec.</summary>
    public VideoCodec Codec { get; private set; }

    /// <summary>Picture width the container (or, for raw H.264, the SPS) declares.</summary>
    public int Width { get; private set; }

    /// <summary>Picture height the container (or, for raw H.264, the SPS) declares.</summary>
    public int Height { get; private set; }

    /// <summary>Frames per second (the container's average rate; the given rate for raw H.264), or 0 when unknown.</summary>
    public double FrameRate { get; private set; }

    /// <summary>The stream's length, or null when the container does not say (raw H.264, some IVF files).</summary>
    public TimeSpan? Duration { get; private set; }

    /// <summary>Codec, size and rate together, as <see cref="MediaFileWriter"/> takes them.</summary>
    public VideoStreamInfo StreamInfo => new(Codec, Width, Height) { FrameRate = FrameRate };

    /// <summary>True for containers with a seek index (MP4, MKV, WebM); others seek by reading from the start.</summary>
    public bool HasIndex => MediaContainers.IsIndexed(_container);

    /// <summary>True when <paramref name="path"/> has an extension this reader opens.</summary>
    public static bool SupportsPath(string path) => path is not null && MediaContainers.FromPath(path) is not null;

    /// <summary>The extensions this reader opens, for messages.</summary>
    public static string SupportedExtensions => MediaContainers.ReadableExtensions;

    /// <summary>
    /// Reads the next packet as an owned packet (release it), or false at the end of the stream.
    /// <see cref="EncodedPacket.Index"/> counts the packets this reader has handed out.
    /// </summary>
    /// <exception cref="MediaFileException">The file is damaged or truncated at this point.</exception>
    public bool TryRead([NotNullWhen(true)] out EncodedPacket? packet)
    {
        ObjectDisposedException.ThrowIf(_format == 0, this);
        packet = null;
        if (_filter == 0)
        {
            if (!ReadVideoPacket())
            {
                return false;
            }

            packet = TakePacket();
            return true;
        }

        while (true)
        {
            var received = AvCodec.BitstreamFilterReceive(_filter, _packet);
            if (received == 0)
            {
                packet = TakePacket();
                return true;
            }

            if (received == AvUtil.ErrorEof)
            {
                return false;
            }

            if (received != AvUtil.ErrorAgain)
            {
                throw new MediaFileException(Path, $"the {AnnexBFilter} filter rejected the H.264 stream: {AvUtil.ErrorText(received)}", _lastPosition, _fileIndex);
            }

            if (ReadVideoPacket())
            {
                // On success the filter takes the packet's reference and leaves _packet blank.
                var sent = AvCodec.BitstreamFilterSend(_filter, _packet);
                if (sent < 0)
                {
                    AvCodec.PacketUnref(_packet);
                    throw new MediaFileException(Path, $"the {AnnexBFilter} filter rejected an H.264 packet: {AvUtil.ErrorText(sent)}", _lastPosition, _fileIndex);
                }
            }
            else if (!_filterFlushed)
            {
                _filterFlushed = true;
                AvCodec.BitstreamFilterSend(_filter, 0);
            }
            else
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Moves to the keyframe at or before <paramref name="time"/> (from the stream's start), so the next
    /// packet read decodes on its own — like <c>ffmpeg -ss</c> with <c>-c copy</c>. Indexed containers
    /// seek through their index; IVF and raw H.264 are reopened and read forward to that keyframe.
    /// A time past the end leaves the reader at the last keyframe.
    /// </summary>
    public void Seek(TimeSpan time)
    {
        ObjectDisposedException.ThrowIf(_format == 0, this);
        if (HasIndex)
        {
            var target = _startTime + ToStreamTime(time < TimeSpan.Zero ? TimeSpan.Zero : time);
            var result = AvFormat.SeekFrame(_format, _streamIndex, target, AvFormat.SeekBackward);
            if (result >= 0)
            {
                ResetReading();
                return;
            }
        }

        SeekByReading(time);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        CloseInput();
        AvCodec.PacketFree(ref _packet);
    }

    private unsafe void Open()
    {
        var demuxer = AvFormat.FindInputFormat(MediaContainers.DemuxerName(_container));
        if (demuxer == 0)
        {
            throw new NotSupportedException($"{Path}: the system FFmpeg has no {MediaContainers.DemuxerName(_container)} demuxer");
        }

        nint format = 0;
        var opened = AvFormat.OpenInput(&format, Path, demuxer, null);
        if (opened < 0)
        {
            // avformat_open_input frees the context on failure.
            throw new MediaFileException(Path, $"not a readable {MediaContainers.DisplayName(_container)} file: {AvUtil.ErrorText(opened)}");
        }

        _format = format;
        var info = AvFormat.FindStreamInfo(_format, null);
        if (info < 0)
        {
            throw new MediaFileException(Path, $"could not read the {MediaContainers.DisplayName(_container)} stream headers: {AvUtil.ErrorText(info)}");
        }

        var index = AvFormat.FindBestStream(_format, AvFormat.MediaTypeVideo, -1, -1, null, 0);
        if (index < 0)
        {
            throw new MediaFileException(Path, $"has no video stream ({AvUtil.ErrorText(index)})");
        }

        _streamIndex = index;
        var stream = Layouts.ReadPointer(Layouts.ReadPointer(_format, FormatLayouts.ContextStreams), index * sizeof(nint));
        var parameters = Layouts.ReadPointer(stream, FormatLayouts.StreamCodecParameters);
        var codecName = Marshal.PtrToStringUTF8(AvCodec.GetName(Layouts.ReadInt32(parameters, FormatLayouts.ParametersCodecId))) ?? "unknown";
        if (codecName == "none")
        {
            // Some demuxers (IVF) accept any header; a stream with no codec is what garbage looks like.
            throw new MediaFileException(Path, $"its video stream names no codec: not a valid {MediaContainers.DisplayName(_container)} file");
        }

        Codec = MediaContainers.CodecFromName(codecName)
            ?? throw new NotSupportedException($"{Path}: video codec \"{codecName}\" is not one the pipeline carries (H.264, VP8, VP9 or AV1)");
        Width = Layouts.ReadInt32(parameters, FormatLayouts.ParametersWidth);
        Height = Layouts.ReadInt32(parameters, FormatLayouts.ParametersHeight);
        if (Width <= 0 || Height <= 0)
        {
            // Raw H.264 gets its size from an SPS: none found means no H.264 at all.
            throw new MediaFileException(Path, $"its {codecName} stream declares no picture size: damaged, or not a {MediaContainers.DisplayName(_container)} file");
        }

        _timeBaseNumerator = Layouts.ReadInt32(stream, FormatLayouts.StreamTimeBase);
        _timeBaseDenominator = Layouts.ReadInt32(stream, FormatLayouts.StreamTimeBase + sizeof(int));
        if (_timeBaseNumerator <= 0 || _timeBaseDenominator <= 0)
        {
            throw new MediaFileException(Path, $"the video stream has an invalid time base {_timeBaseNumerator}/{_timeBaseDenominator}");
        }

        var start = Layouts.ReadInt64(stream, FormatLayouts.StreamStartTime);
        _startTime = start == AvUtil.NoPts ? 0 : start;
        FrameRate = _container == MediaContainer.AnnexB ? _rawFrameRate : ReadFrameRate(stream);
        Duration = ReadDuration(stream);

        // H.264 in MP4/MKV is length-prefixed with its parameter sets in extradata ("avcC", first byte 1).
        var extradata = Layouts.ReadPointer(parameters, FormatLayouts.ParametersExtradata);
        var extradataSize = Layouts.ReadInt32(parameters, FormatLayouts.ParametersExtradataSize);
        if (Codec == VideoCodec.H264 && _container != MediaContainer.AnnexB && extradataSize > 0 && *(byte*)extradata == 1)
        {
            OpenAnnexBFilter(stream, parameters);
        }
    }

    private unsafe void OpenAnnexBFilter(nint stream, nint parameters)
    {
        var definition = AvCodec.BitstreamFilterByName(AnnexBFilter);
        if (definition == 0)
        {
            throw new NotSupportedException($"{Path}: the system FFmpeg has no {AnnexBFilter} bitstream filter");
        }

        nint filter = 0;
        var allocated = AvCodec.BitstreamFilterAlloc(definition, &filter);
        if (allocated < 0)
        {
            throw new OutOfMemoryException($"{Path}: FFmpeg could not allocate the {AnnexBFilter} filter");
        }

        _filter = filter;
        var copied = AvCodec.ParametersCopy(Layouts.ReadPointer(_filter, FormatLayouts.BitstreamFilterParametersIn), parameters);
        Layouts.WriteInt64(_filter, FormatLayouts.BitstreamFilterTimeBaseIn, Layouts.ReadInt64(stream, FormatLayouts.StreamTimeBase));
        var initialised = copied < 0 ? copied : AvCodec.BitstreamFilterInit(_filter);
        if (initialised < 0)
        {
            throw new MediaFileException(Path, $"the {AnnexBFilter} filter does not accept this H.264 stream: {AvUtil.ErrorText(initialised)}");
        }
    }

    private unsafe void CloseInput()
    {
        if (_filter != 0)
        {
            var filter = _filter;
            AvCodec.BitstreamFilterFree(&filter);
            _filter = 0;
        }

        if (_format != 0)
        {
            var format = _format;
            AvFormat.CloseInput(&format);
            _format = 0;
        }
    }

    /// <summary>Reads the next packet of the video stream into _packet; false at the end of the file.</summary>
    private bool ReadVideoPacket()
    {
        while (!_demuxerEnded)
        {
            var result = AvFormat.ReadFrame(_format, _packet);
            if (result == AvUtil.ErrorEof)
            {
                _demuxerEnded = true;
                if (_fileIndex == 0)
                {
                    // Some demuxers (IVF) report a damaged first packet header as the end of the file.
                    throw new MediaFileException(Path, "holds no readable video packet: empty, or damaged before the first one", packetIndex: 0);
                }

                return false;
            }

            if (result < 0)
            {
                throw new MediaFileException(Path, $"damaged or truncated after the last good packet: {AvUtil.ErrorText(result)}", _lastPosition, _fileIndex);
            }

            if (Layouts.ReadInt32(_packet, FormatLayouts.PacketStreamIndex) != _streamIndex)
            {
                AvCodec.PacketUnref(_packet);
                continue;
            }

            var position = Layouts.ReadInt64(_packet, FormatLayouts.PacketPosition);
            var size = Layouts.ReadInt32(_packet, Layouts.PacketSize);
            if ((Layouts.ReadInt32(_packet, Layouts.PacketFlags) & FormatLayouts.PacketFlagCorrupt) != 0)
            {
                AvCodec.PacketUnref(_packet);
                throw new MediaFileException(Path, "truncated: the demuxer could read only part of a packet", position >= 0 ? position : _lastPosition, _fileIndex);
            }

            if (size > MaxPacketSize)
            {
                AvCodec.PacketUnref(_packet);
                throw new MediaFileException(Path, $"a packet declares {size} bytes, more than the {MaxPacketSize}-byte limit: the file is damaged", position, _fileIndex);
            }

            if (position >= 0)
            {
                _lastPosition = position;
            }

            return true;
        }

        return false;
    }

    /// <summary>Copies _packet into a pooled packet, stamps it, and unreferences _packet.</summary>
    private unsafe EncodedPacket TakePacket()
    {
        try
        {
            var size = Layouts.ReadInt32(_packet, Layouts.PacketSize);
            var data = new ReadOnlySpan<byte>((void*)Layouts.ReadPointer(_packet, Layouts.PacketData), size);
            var packet = _pool.Rent(size);
            data.CopyTo(packet.Data);
            packet.Codec = Codec;
            packet.Index = _delivered++;
            if (_container == MediaContainer.AnnexB)
            {
                // No timestamps in the file: decode order at the given rate.
                packet.Pts = TimeSpan.FromSeconds(_fileIndex / _rawFrameRate);
                packet.Dts = packet.Pts;
            }
            else
            {
                var pts = Layouts.ReadInt64(_packet, Layouts.PacketPts);
                var dts = Layouts.ReadInt64(_packet, Layouts.PacketDts);
                packet.Dts = dts == AvUtil.NoPts ? null : ToTime(dts - _startTime);
                packet.Pts = pts != AvUtil.NoPts ? ToTime(pts - _startTime)
                    : packet.Dts ?? TimeSpan.FromSeconds(_fileIndex / (FrameRate > 0 ? FrameRate : DefaultRawFrameRate));
            }

            // IVF and raw H.264 say nothing about keyframes (libavformat guesses); the bitstream knows.
            packet.IsKeyframe = _container is MediaContainer.Ivf or MediaContainer.AnnexB
                ? Keyframes.IsKeyframe(Codec, packet.Data)
                : (Layouts.ReadInt32(_packet, Layouts.PacketFlags) & Layouts.PacketFlagKey) != 0;
            _fileIndex++;
            return packet;
        }
        finally
        {
            AvCodec.PacketUnref(_packet);
        }
    }

    /// <summary>Reopens the file and reads forward to the last keyframe at or before <paramref name="time"/>.</summary>
    private void SeekByReading(TimeSpan time)
    {
        // First pass: which packet is that keyframe? Raw H.264 and IVF have no index to ask.
        var delivered = _delivered;
        Reopen();
        var keyframe = 0L;
        if (time > TimeSpan.Zero)
        {
            while (TryRead(out var packet))
            {
                var past = packet.Pts > time;
                if (!past && packet.IsKeyframe)
                {
                    keyframe = _fileIndex - 1;
                }

                packet.Release();
                if (past)
                {
                    break;
                }
            }
        }

        // Second pass: skip the packets before it. Only packet headers and payload copies: no decoding.
        Reopen();
        while (_fileIndex < keyframe && ReadVideoPacket())
        {
            AvCodec.PacketUnref(_packet);
            _fileIndex++;
        }

        _delivered = delivered;
    }

    private void Reopen()
    {
        CloseInput();
        Open();
        ResetReading();
        _fileIndex = 0;
    }

    private void ResetReading()
    {
        _demuxerEnded = false;
        _filterFlushed = false;
        if (_filter != 0)
        {
            AvCodec.BitstreamFilterFlush(_filter);
        }
    }

    private double ReadFrameRate(nint stream)
    {
        foreach (var offset in (ReadOnlySpan<int>)[FormatLayouts.StreamAverageFrameRate, FormatLayouts.StreamRealFrameRate])
        {
            var numerator = Layouts.ReadInt32(stream, offset);
            var denominator = Layouts.ReadInt32(stream, offset + sizeof(int));
            if (numerator > 0 && denominator > 0)
            {
                return (double)numerator / denominator;
            }
        }

        return 0;
    }

    private TimeSpan? ReadDuration(nint stream)
    {
        if (_container == MediaContainer.AnnexB)
        {
            return null;
        }

        var duration = Layouts.ReadInt64(stream, FormatLayouts.StreamDuration);
        if (duration != AvUtil.NoPts && duration > 0)
        {
            return ToTime(duration);
        }

        var total = Layouts.ReadInt64(_format, FormatLayouts.ContextDuration);
        return total != AvUtil.NoPts && total > 0 ? TimeSpan.FromTicks(total * (TimeSpan.TicksPerSecond / FormatLayouts.TimeBase)) : null;
    }

    private TimeSpan ToTime(long streamTime)
    {
        // Int128 so a long file at a fine time base cannot overflow before the division.
        var ticks = (Int128)streamTime * _timeBaseNumerator * TimeSpan.TicksPerSecond / _timeBaseDenominator;
        return TimeSpan.FromTicks((long)ticks);
    }

    private long ToStreamTime(TimeSpan time) => (long)((Int128)time.Ticks * _timeBaseDenominator / (_timeBaseNumerator * TimeSpan.TicksPerSecond));

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Path} ({Codec} {Width}x{Height})");
}
