using System.Runtime.InteropServices;
using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.FFmpeg;

/// <summary>The still-image file formats <see cref="StillImage"/> reads.</summary>
public enum StillImageFormat
{
    /// <summary>JPEG (JFIF/Exif), decoded by FFmpeg's mjpeg decoder.</summary>
    Jpeg,

    /// <summary>PNG, any bit depth, with or without alpha (alpha is dropped).</summary>
    Png,

    /// <summary>WebP, lossy or lossless (a still image; animated WebP is not decoded by FFmpeg 5.1).</summary>
    WebP,

    /// <summary>GIF: the first picture.</summary>
    Gif,
}

/// <summary>
/// Still images through the system FFmpeg: decode JPEG/PNG/WebP/GIF bytes to an RGB frame, fill a target
/// size by centre crop + scale, and encode JPEG. Cold path (one image per call): clarity over pooling.
/// </summary>
/// <remarks>
/// Every failure of the bytes themselves is an <see cref="InvalidDataException"/> naming the format and
/// FFmpeg's reason, never a native crash: the whole file is copied into a padded buffer before the codec
/// reads it (FFmpeg's parsers may read <c>AV_INPUT_BUFFER_PADDING_SIZE</c> bytes past the end).
/// </remarks>
public static class StillImage
{
    /// <summary>
    /// FFmpeg mjpeg quantiser for <see cref="EncodeJpeg"/> by default: 2, the encoder's own floor (qmin).
    /// Measured on ffmpeg 5.1: its high-frequency quantisers then match libjpeg quality 90 (what the Python
    /// client's Pillow uses) and the low ones are a step coarser; 1 would be near lossless at twice the size.
    /// </summary>
    public const int DefaultJpegQScale = 2;

    /// <summary>Largest FFmpeg mjpeg quantiser (the MPEG qscale range).</summary>
    public const int MaxJpegQScale = 31;

    /// <summary>
    /// Encoder time base: a still JPEG has no clock, but the mjpeg encoder refuses to open without one.
    /// </summary>
    private const int StillTimeBaseDenominator = 25;

    /// <summary>FF_QP2LAMBDA: libavcodec's lambda units per quantiser step.</summary>
    private const int QpToLambda = 118;

    /// <summary>AV_CODEC_FLAG_QSCALE: use a fixed quantiser instead of bit-rate control.</summary>
    private const string FixedQuantiserFlag = "+qscale";

    /// <summary>The format the leading bytes announce (magic numbers), or null.</summary>
    public static StillImageFormat? Sniff(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return StillImageFormat.Jpeg;
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return StillImageFormat.Png;
        }

        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return StillImageFormat.WebP;
        }

        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return StillImageFormat.Gif;
        }

        return null;
    }

    /// <summary>
    /// Decodes an image file's bytes into an <see cref="PixelFormat.Rgb24"/> frame at the image's own size,
    /// rented from <paramref name="pool"/> (the caller releases it).
    /// </summary>
    /// <exception cref="InvalidDataException">Not a known format, or FFmpeg could not decode it (the message says why).</exception>
    public static unsafe VideoFrame Decode(ReadOnlySpan<byte> data, VideoFramePool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var format = Sniff(data) ?? throw new InvalidDataException("Image format not recognised from its first bytes: expected JPEG, PNG, WebP or GIF");
        FFmpegRuntime.EnsureAvailable();
        var name = DecoderName(format);
        var decoder = AvCodec.FindDecoderByName(name);
        if (decoder == 0)
        {
            throw new NotSupportedException($"the system FFmpeg has no decoder named '{name}' for {format} images");
        }

        var context = AvCodec.AllocContext(decoder);
        var packet = AvCodec.PacketAlloc();
        var picture = AvUtil.FrameAlloc();
        var buffer = (byte*)NativeMemory.AllocZeroed((nuint)(data.Length + AvUtil.InputPadding));
        nint scaler = 0;
        try
        {
            if (context == 0 || packet == 0 || picture == 0)
            {
                throw new OutOfMemoryException($"FFmpeg could not allocate the {name} decoder");
            }

            nint options = 0;
            try
            {
                // One picture: the codec's threads would only cost start-up time.
                AvUtil.DictSet(&options, "threads", "1", 0);
                var opened = AvCodec.Open(context, decoder, &options);
                if (opened < 0)
                {
                    throw new InvalidOperationException($"FFmpeg could not open the {name} decoder: {AvUtil.ErrorText(opened)}");
                }
            }
            finally
            {
                AvUtil.DictFree(&options);
            }

            data.CopyTo(new Span<byte>(buffer, data.Length));
            Layouts.WritePointer(packet, Layouts.PacketData, (nint)buffer);
            Layouts.WriteInt32(packet, Layouts.PacketSize, data.Length);
            Layouts.WriteInt32(packet, Layouts.PacketFlags, Layouts.PacketFlagKey);
            var sent = AvCodec.SendPacket(context, packet);
            Layouts.WritePointer(packet, Layouts.PacketData, 0);
            Layouts.WriteInt32(packet, Layouts.PacketSize, 0);
            if (sent < 0)
            {
                throw new InvalidDataException($"{format} image ({data.Length} bytes) could not be decoded: {AvUtil.ErrorText(sent)}");
            }

            // End of stream, so decoders that hold a picture back (GIF, frame-threaded ones) release it.
            AvCodec.SendPacket(context, 0);
            var received = AvCodec.ReceiveFrame(context, picture);
            if (received < 0)
            {
                var reason = received == AvUtil.ErrorEof ? "the file holds no picture" : AvUtil.ErrorText(received);
                throw new InvalidDataException($"{format} image ({data.Length} bytes) could not be decoded: {reason}");
            }

            var width = Layouts.ReadInt32(picture, Layouts.FrameWidth);
            var height = Layouts.ReadInt32(picture, Layouts.FrameHeight);
            var native = Layouts.ReadInt32(picture, Layouts.FrameFormat);
            if (width <= 0 || height <= 0)
            {
                throw new InvalidDataException($"{format} image decoded to an empty {width}x{height} picture");
            }

            var (source, fullRange) = WithoutJpegRange(native);
            scaler = SwScale.GetCachedContext(0, width, height, source, width, height, AvUtil.GetPixelFormat("rgb24"), SwScale.Bicubic, 0, 0, null);
            if (scaler == 0)
            {
                throw new InvalidDataException($"{format} image decoded to {AvUtil.PixelFormatName(native)} pictures, which libswscale cannot convert to rgb24");
            }

            SetRanges(scaler, sourceFull: fullRange, targetFull: true);

            using var rgb = new ScratchPlanes(PixelFormat.Rgb24, width, height);

            // The AVFrame's data[] and linesize[] (palette included for GIF's pal8) are sws_scale's source.
            SwScale.Scale(scaler, (byte**)(picture + Layouts.FrameData), (int*)(picture + Layouts.FrameLinesize), 0, height, rgb.Planes, rgb.Strides);
            var output = pool.Rent(width, height, PixelFormat.Rgb24);
            rgb.CopyTo(output);
            return output;
        }
        finally
        {
            if (scaler != 0)
            {
                SwScale.FreeContext(scaler);
            }

            NativeMemory.Free(buffer);
            AvUtil.FrameFree(ref picture);
            AvCodec.PacketFree(ref packet);
            AvCodec.FreeContext(ref context);
        }
    }

    /// <summary>
    /// The centred region of a <paramref name="sourceWidth"/>×<paramref name="sourceHeight"/> picture that has
    /// the aspect ratio of <paramref name="width"/>×<paramref name="height"/>: what a "cover" resize keeps.
    /// </summary>
    public static (int X, int Y, int Width, int Height) CentreCrop(int sourceWidth, int sourceHeight, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);

        // Cross-multiplied so equal ratios compare equal without floating point.
        if ((long)sourceWidth * height > (long)sourceHeight * width)
        {
            var keptWidth = Math.Max(1, (int)Math.Round((double)sourceHeight * width / height, MidpointRounding.AwayFromZero));
            return ((sourceWidth - keptWidth) / 2, 0, keptWidth, sourceHeight);
        }

        var keptHeight = Math.Max(1, (int)Math.Round((double)sourceWidth * height / width, MidpointRounding.AwayFromZero));
        return (0, (sourceHeight - keptHeight) / 2, sourceWidth, keptHeight);
    }

    /// <summary>
    /// Fills exactly <paramref name="width"/>×<paramref name="height"/> from a packed frame (RGB24, BGR24 or
    /// GRAY8): the centred region of the target's aspect ratio (<see cref="CentreCrop"/>) is scaled to the
    /// target size, so nothing is stretched. Returns a new frame of the same format from <paramref name="pool"/>.
    /// </summary>
    public static unsafe VideoFrame ResizeToFill(VideoFrame source, int width, int height, VideoFramePool pool)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(pool);
        if (source.PlaneCount != 1)
        {
            throw new ArgumentException($"ResizeToFill takes a packed frame (Rgb24, Bgr24, Gray8), not {source.Format}", nameof(source));
        }

        var (x, y, keptWidth, keptHeight) = CentreCrop(source.Width, source.Height, width, height);
        var native = AvUtil.GetPixelFormat(source.Format switch
        {
            PixelFormat.Rgb24 => "rgb24",
            PixelFormat.Bgr24 => "bgr24",
            _ => "gray",
        });
        var scaler = SwScale.GetCachedContext(0, keptWidth, keptHeight, native, width, height, native, SwScale.Bicubic, 0, 0, null);
        if (scaler == 0)
        {
            throw new InvalidOperationException($"libswscale cannot scale {keptWidth}x{keptHeight} {source.Format} to {width}x{height}");
        }

        try
        {
            var bytesPerPixel = source.Format == PixelFormat.Gray8 ? 1 : 3;
            var sourcePlanes = stackalloc byte*[4];
            var sourceStrides = stackalloc int[4];

            // A packed format crops by moving the first-pixel pointer; rows keep the source stride.
            sourcePlanes[0] = (byte*)source.GetPlanePointer(0) + ((long)y * source.GetStride(0)) + ((long)x * bytesPerPixel);
            sourceStrides[0] = source.GetStride(0);
            using var scaled = new ScratchPlanes(source.Format, width, height);
            SwScale.Scale(scaler, sourcePlanes, sourceStrides, 0, keptHeight, scaled.Planes, scaled.Strides);
            var output = pool.Rent(width, height, source.Format);
            scaled.CopyTo(output);
            output.CopyMetadataFrom(source);
            return output;
        }
        finally
        {
            SwScale.FreeContext(scaler);
        }
    }

    /// <summary>
    /// Encodes a frame (any <see cref="PixelFormat"/>, any size) as a baseline JPEG (4:2:0, full range) with
    /// FFmpeg's mjpeg encoder at the fixed quantiser <paramref name="qscale"/> (1 best … 31).
    /// </summary>
    public static byte[] EncodeJpeg(VideoFrame frame, int qscale = DefaultJpegQScale)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentOutOfRangeException.ThrowIfLessThan(qscale, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(qscale, MaxJpegQScale);
        if (frame.Format is not (PixelFormat.I420 or PixelFormat.Nv12))
        {
            return EncodePackedJpeg(frame, qscale);
        }

        // libswscale's same-format YUV copy ignores the range change limited → full, so YUV goes through
        // RGB first (our converter: BT.601 limited range, as everywhere in Odyssey.Media).
        var rgb = VideoFramePool.Shared.Rent(frame.Width, frame.Height, PixelFormat.Rgb24);
        try
        {
            PixelConverter.Convert(frame, rgb);
            return EncodePackedJpeg(rgb, qscale);
        }
        finally
        {
            rgb.Release();
        }
    }

    private static unsafe byte[] EncodePackedJpeg(VideoFrame frame, int qscale)
    {
        FFmpegRuntime.EnsureAvailable();
        var encoder = AvCodec.FindEncoderByName("mjpeg");
        if (encoder == 0)
        {
            throw new NotSupportedException("the system FFmpeg has no encoder named 'mjpeg'");
        }

        // JPEG's YCbCr is full range: the mjpeg encoder takes it as yuvj420p; libswscale converts to yuv420p
        // with a full-range target instead (it warns about every yuvj context). I420-shaped scratch holds it.
        var yuvj420p = AvUtil.GetPixelFormat("yuvj420p");
        using var scratch = new ScratchPlanes(PixelFormat.I420, frame.Width, frame.Height);
        var context = AvCodec.AllocContext(encoder);
        var picture = AvUtil.FrameAlloc();
        var packet = AvCodec.PacketAlloc();
        nint scaler = 0;
        try
        {
            if (context == 0 || picture == 0 || packet == 0)
            {
                throw new OutOfMemoryException("FFmpeg could not allocate the mjpeg encoder");
            }

            scaler = SwScale.GetCachedContext(0, frame.Width, frame.Height, NativeFormat(frame.Format), frame.Width, frame.Height, AvUtil.GetPixelFormat("yuv420p"), SwScale.Bicubic, 0, 0, null);
            if (scaler == 0)
            {
                throw new InvalidOperationException($"libswscale cannot convert a {frame.Width}x{frame.Height} {frame.Format} frame to yuvj420p");
            }

            // The source is RGB, BGR or GRAY here (full range); JPEG's YCbCr is full range too.
            SetRanges(scaler, sourceFull: true, targetFull: true);

            var sourcePlanes = stackalloc byte*[4];
            var sourceStrides = stackalloc int[4];
            for (var plane = 0; plane < 4; plane++)
            {
                sourcePlanes[plane] = plane < frame.PlaneCount ? (byte*)frame.GetPlanePointer(plane) : null;
                sourceStrides[plane] = plane < frame.PlaneCount ? frame.GetStride(plane) : 0;
            }

            SwScale.Scale(scaler, sourcePlanes, sourceStrides, 0, frame.Height, scratch.Planes, scratch.Strides);

            Check(AvUtil.OptionSetImageSize(context, "video_size", frame.Width, frame.Height, 0), "video_size");
            Check(AvUtil.OptionSetPixelFormat(context, "pixel_format", yuvj420p, 0), "pixel_format");
            Check(AvUtil.OptionSetRational(context, "time_base", new AvRational(1, StillTimeBaseDenominator), 0), "time_base");
            Check(AvUtil.OptionSet(context, "flags", FixedQuantiserFlag, 0), "flags");
            Check(AvUtil.OptionSetInt(context, "global_quality", qscale * QpToLambda, 0), "global_quality");

            // qmin = qmax pins the quantiser whatever lambda the frame carries.
            Check(AvUtil.OptionSetInt(context, "qmin", qscale, 0), "qmin");
            Check(AvUtil.OptionSetInt(context, "qmax", qscale, 0), "qmax");
            var opened = AvCodec.Open(context, encoder, null);
            if (opened < 0)
            {
                throw new InvalidOperationException($"FFmpeg could not open the mjpeg encoder for {frame.Width}x{frame.Height}: {AvUtil.ErrorText(opened)}");
            }

            Layouts.WriteInt32(picture, Layouts.FrameWidth, frame.Width);
            Layouts.WriteInt32(picture, Layouts.FrameHeight, frame.Height);
            Layouts.WriteInt32(picture, Layouts.FrameFormat, yuvj420p);
            Layouts.WriteInt64(picture, Layouts.FramePts, 0);
            for (var plane = 0; plane < 3; plane++)
            {
                Layouts.WritePointer(picture, Layouts.FrameData + (plane * sizeof(nint)), (nint)scratch.Planes[plane]);
                Layouts.WriteInt32(picture, Layouts.FrameLinesize + (plane * sizeof(int)), scratch.Strides[plane]);
            }

            var sent = AvCodec.SendFrame(context, picture);
            for (var plane = 0; plane < 3; plane++)
            {
                Layouts.WritePointer(picture, Layouts.FrameData + (plane * sizeof(nint)), 0);
            }

            if (sent < 0)
            {
                throw new InvalidOperationException($"mjpeg encoder rejected a {frame.Width}x{frame.Height} picture: {AvUtil.ErrorText(sent)}");
            }

            AvCodec.SendFrame(context, 0);
            var received = AvCodec.ReceivePacket(context, packet);
            if (received < 0)
            {
                throw new InvalidOperationException($"mjpeg encoder produced no JPEG for a {frame.Width}x{frame.Height} picture: {AvUtil.ErrorText(received)}");
            }

            var bytes = new ReadOnlySpan<byte>((byte*)Layouts.ReadPointer(packet, Layouts.PacketData), Layouts.ReadInt32(packet, Layouts.PacketSize)).ToArray();
            AvCodec.PacketUnref(packet);
            return bytes;
        }
        finally
        {
            if (scaler != 0)
            {
                SwScale.FreeContext(scaler);
            }

            AvCodec.PacketFree(ref packet);
            AvUtil.FrameFree(ref picture);
            AvCodec.FreeContext(ref context);
        }
    }

    /// <summary>
    /// libswscale warns ("deprecated pixel format used") for every context on a yuvj* format: use the plain
    /// format and say "full range" with <see cref="SetRanges"/> instead, which is what yuvj means.
    /// </summary>
    private static (int Format, bool FullRange) WithoutJpegRange(int native)
    {
        var name = AvUtil.PixelFormatName(native);
        if (name.StartsWith("yuvj", StringComparison.Ordinal))
        {
            var plain = AvUtil.GetPixelFormat("yuv" + name["yuvj".Length..]);
            if (plain >= 0)
            {
                return (plain, true);
            }
        }

        // RGB, palette and grey formats are full range by nature; plain YUV is limited.
        return (native, !name.StartsWith("yuv", StringComparison.Ordinal) && !name.StartsWith("nv", StringComparison.Ordinal));
    }

    /// <summary>BT.601 both ways with the given ranges (libswscale ignores the range of RGB sides).</summary>
    private static unsafe void SetRanges(nint scaler, bool sourceFull, bool targetFull)
    {
        var table = SwScale.GetCoefficients(SwScale.ColorspaceItu601);
        const int Unity = 1 << 16; // brightness 0, contrast and saturation 1.0 in 16.16 fixed point
        SwScale.SetColorspaceDetails(scaler, table, sourceFull ? 1 : 0, table, targetFull ? 1 : 0, 0, Unity, Unity);
    }

    private static string DecoderName(StillImageFormat format) => format switch
    {
        StillImageFormat.Jpeg => "mjpeg",
        StillImageFormat.Png => "png",
        StillImageFormat.WebP => "webp",
        StillImageFormat.Gif => "gif",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown image format"),
    };

    private static int NativeFormat(PixelFormat format) => AvUtil.GetPixelFormat(format switch
    {
        PixelFormat.I420 => "yuv420p",
        PixelFormat.Nv12 => "nv12",
        PixelFormat.Bgr24 => "bgr24",
        PixelFormat.Rgb24 => "rgb24",
        PixelFormat.Gray8 => "gray",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown pixel format"),
    });

    private static void Check(int result, string option)
    {
        if (result < 0)
        {
            throw new InvalidOperationException($"mjpeg encoder rejected option '{option}': {AvUtil.ErrorText(result)}");
        }
    }
}

/// <summary>
/// Native planes with slack bytes after each row and after the last, as a libswscale destination
/// (or an encoder source) that vector stores may overrun; copied row by row into a pooled frame afterwards.
/// </summary>
internal sealed unsafe class ScratchPlanes : IDisposable
{
    /// <summary>
    /// Bytes of slack after every row and after the last row of a libswscale destination: its SIMD paths
    /// store whole vectors and may write past the last pixel of a row (seen as heap corruption when the
    /// destination was a pooled frame whose rows end exactly at a 32-byte boundary). 64 covers AVX-512.
    /// </summary>
    private const int Slack = 64;

    private const int Alignment = 64;
    private readonly byte* _memory;
    private readonly byte** _planes;
    private readonly int* _strides;
    private readonly PixelFormat _format;
    private readonly int _width;
    private readonly int _height;

    public ScratchPlanes(PixelFormat format, int width, int height)
    {
        _format = format;
        _width = width;
        _height = height;

        // Four entries each, zeroed: sws_scale reads four plane pointers and strides.
        _planes = (byte**)NativeMemory.AllocZeroed(4, (nuint)sizeof(byte*));
        _strides = (int*)NativeMemory.AllocZeroed(4, sizeof(int));
        long total = 0;
        var count = PixelFormats.PlaneCount(format);
        for (var plane = 0; plane < count; plane++)
        {
            var rowBytes = PixelFormats.RowBytes(format, plane, width);
            _strides[plane] = ((rowBytes + Alignment - 1) / Alignment * Alignment) + Slack;
            total += ((long)_strides[plane] * PixelFormats.PlaneHeight(format, plane, height)) + Slack;
        }

        _memory = (byte*)NativeMemory.AlignedAlloc((nuint)total, Alignment);
        long offset = 0;
        for (var plane = 0; plane < count; plane++)
        {
            _planes[plane] = _memory + offset;
            offset += ((long)_strides[plane] * PixelFormats.PlaneHeight(format, plane, height)) + Slack;
        }
    }

    public byte** Planes => _planes;

    public int* Strides => _strides;

    /// <summary>Copies the pixels (not the slack) into <paramref name="frame"/>, of the same shape.</summary>
    public void CopyTo(VideoFrame frame)
    {
        var count = PixelFormats.PlaneCount(_format);
        for (var plane = 0; plane < count; plane++)
        {
            var rowBytes = PixelFormats.RowBytes(_format, plane, _width);
            var rows = PixelFormats.PlaneHeight(_format, plane, _height);
            for (var row = 0; row < rows; row++)
            {
                new ReadOnlySpan<byte>(_planes[plane] + ((long)row * _strides[plane]), rowBytes).CopyTo(frame.GetRow(plane, row));
            }
        }
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_memory);
        NativeMemory.Free(_planes);
        NativeMemory.Free(_strides);
    }
}
