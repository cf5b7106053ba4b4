using System.Globalization;

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
    public static string? SniffMimeType(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "image/png";
        }

        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return "image/webp";
        }

        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return "image/gif";
        }

        return null;
    }
}
