using System.Globalization;
using Odyssey.Media;
using Odyssey.Media.FFmpeg;

namespace Odyssey.Client;

/// <summary>
/// An input image for image-to-video (<see cref="OdysseyClient.StartStreamAsync"/>): bytes, a file or a data URL.
/// Its type is sniffed from the magic bytes (JPEG, PNG, WebP, GIF), never taken from a file name, and it
/// must not exceed 25 MiB (§5).
/// </summary>
public sealed class OdysseyImage
{
    /// <summary>§5: the largest raw image the official clients accept.</summary>
    public const int MaxBytes = 25 * 1024 * 1024;

    /// <summary>§5: width of a prepared landscape image (the streamer's landscape video size).</summary>
    public const int LandscapeWidth = 1280;

    /// <summary>§5: height of a prepared landscape image; portrait swaps the two.</summary>
    public const int LandscapeHeight = 704;

    /// <summary>
    /// Frames for preparation only: a prep is rare (one per stream start) and its two frames are released
    /// before it returns, so a small private pool keeps them away from the video path's pool.
    /// </summary>
    private static readonly VideoFramePool PrepPool = new(retainedPerShape: 1);

    private OdysseyImage(ReadOnlyMemory<byte> bytes, string mimeType)
    {
        Bytes = bytes;
        MimeType = mimeType;
    }

    /// <summary>The image file's bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The sniffed MIME type, e.g. <c>image/png</c>.</summary>
    public string MimeType { get; }

    /// <summary>Wraps encoded image bytes (JPEG, PNG, WebP or GIF).</summary>
    /// <exception cref="ArgumentException">Too large, or not a known image format.</exception>
    public static OdysseyImage FromBytes(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > MaxBytes)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Image exceeds maximum size of 25MB ({bytes.Length / (1024.0 * 1024.0):F1}MB provided)"), nameof(bytes));
        }

        var mime = SniffMimeType(bytes.Span)
            ?? throw new ArgumentException("Image format not recognised from its first bytes: expected JPEG, PNG, WebP or GIF", nameof(bytes));
        return new OdysseyImage(bytes, mime);
    }

    /// <summary>Reads an image file.</summary>
    /// <exception cref="ArgumentException">Too large, or not a known image format; names the file.</exception>
    public static OdysseyImage FromFile(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length > MaxBytes)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Image '{path}' exceeds maximum size of 25MB ({info.Length / (1024.0 * 1024.0):F1}MB provided)"), nameof(path));
        }

        try
        {
            return FromBytes(File.ReadAllBytes(path));
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Image '{path}': {ex.Message}", nameof(path), ex);
        }
    }

    /// <summary>Decodes a <c>data:&lt;mime&gt;;base64,…</c> URL (the type is re-sniffed from the bytes).</summary>
    /// <exception cref="ArgumentException">Not a base64 data URL, too large, or not a known image format.</exception>
    public static OdysseyImage FromDataUrl(string dataUrl)
    {
        ArgumentNullException.ThrowIfNull(dataUrl);
        var comma = dataUrl.IndexOf(',', StringComparison.Ordinal);
        if (!dataUrl.StartsWith("data:", StringComparison.Ordinal) || comma < 0 || !dataUrl.AsSpan(0, comma).EndsWith(";base64", StringComparison.Ordinal))
        {
            throw new ArgumentException("Image data URL must look like data:<mime>;base64,<data>", nameof(dataUrl));
        }

        try
        {
            return FromBytes(Convert.FromBase64String(dataUrl[(comma + 1)..]));
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"Image data URL: the base64 payload is malformed ({ex.Message})", nameof(dataUrl), ex);
        }
    }

    /// <summary>The <c>input_image_base64</c> value: <c>data:&lt;mime&gt;;base64,&lt;b64&gt;</c>.</summary>
    public string ToDataUrl() => $"data:{MimeType};base64,{Convert.ToBase64String(Bytes.Span)}";

    /// <summary>The MIME type the leading bytes announce, or null.</summary>
    public static string? SniffMimeType(ReadOnlySpan<byte> data) => StillImage.Sniff(data) switch
    {
        StillImageFormat.Jpeg => "image/jpeg",
        StillImageFormat.Png => "image/png",
        StillImageFormat.WebP => "image/webp",
        StillImageFormat.Gif => "image/gif",
        _ => null,
    };

    /// <summary>
    /// The image as the streamer takes it (§5 "Image prep"): decoded, centre-cropped to the video's aspect
    /// ratio and scaled to exactly <see cref="LandscapeWidth"/>×<see cref="LandscapeHeight"/> (or the
    /// transpose when <paramref name="portrait"/>), then re-encoded as JPEG at about the Python client's
    /// quality 90. <see cref="OdysseyClient.StartStreamAsync"/> sends this, not the raw bytes.
    /// </summary>
    /// <exception cref="ArgumentException">The bytes carry a known magic number but do not decode.</exception>
    public OdysseyImage PrepareForVideo(bool portrait)
    {
        var (width, height) = portrait ? (LandscapeHeight, LandscapeWidth) : (LandscapeWidth, LandscapeHeight);
        VideoFrame decoded;
        try
        {
            decoded = StillImage.Decode(Bytes.Span, PrepPool);
        }
        catch (InvalidDataException ex)
        {
            throw new ArgumentException($"Image ({MimeType}, {Bytes.Length} bytes) cannot be prepared for image-to-video: {ex.Message}", ex);
        }

        try
        {
            var filled = StillImage.ResizeToFill(decoded, width, height, PrepPool);
            try
            {
                return new OdysseyImage(StillImage.EncodeJpeg(filled, StillImage.DefaultJpegQScale), "image/jpeg");
            }
            finally
            {
                filled.Release();
            }
        }
        finally
        {
            decoded.Release();
        }
    }
}
