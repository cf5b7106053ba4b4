namespace Odyssey.Client.Tests;

public sealed class ImageTests
{
    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0 }, "image/jpeg")]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0 }, "image/png")]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50 }, "image/webp")]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, "image/gif")]
    public void FromBytes_MagicBytes_SniffTheType(byte[] bytes, string mime)
    {
        var image = OdysseyImage.FromBytes(bytes);
        Assert.Equal(mime, image.MimeType);
        Assert.StartsWith($"data:{mime};base64,", image.ToDataUrl());
        Assert.Equal(bytes, OdysseyImage.FromDataUrl(image.ToDataUrl()).Bytes.ToArray());
    }

    [Fact]
    public void FromBytes_UnknownFormat_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => OdysseyImage.FromBytes("hello world"u8.ToArray()));
        Assert.Contains("JPEG, PNG, WebP or GIF", error.Message);
    }

    [Fact]
    public void FromBytes_Over25MiB_IsRejectedWithTheSize()
    {
        var big = new byte[OdysseyImage.MaxBytes + 1];
        big[0] = 0xFF;
        big[1] = 0xD8;
        big[2] = 0xFF;
        var error = Assert.Throws<ArgumentException>(() => OdysseyImage.FromBytes(big));
        Assert.Contains("Image exceeds maximum size of 25MB (25.0MB provided)", error.Message);
    }

    [Theory]
    [InlineData("data:image/png,abc")]
    [InlineData("image/png;base64,abc")]
    [InlineData("data:image/png;base64,@@@")]
    public void FromDataUrl_Malformed_IsRejected(string url) =>
        Assert.Throws<ArgumentException>(() => OdysseyImage.FromDataUrl(url));
}
