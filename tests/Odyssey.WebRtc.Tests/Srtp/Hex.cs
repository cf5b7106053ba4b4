namespace Odyssey.WebRtc.Tests.Srtp;

internal static class Hex
{
    /// <summary>Parses hex written with spaces and line breaks, as RFCs print it.</summary>
    internal static byte[] Parse(string text) => Convert.FromHexString(string.Concat(text.Where(c => !char.IsWhiteSpace(c))));
}
