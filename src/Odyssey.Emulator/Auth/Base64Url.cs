namespace Odyssey.Emulator.Auth;

/// <summary>RFC 4648 §5 base64url without padding, as JWT (RFC 7515 §2) uses it.</summary>
internal static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string text, out byte[] bytes)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        try
        {
            bytes = Convert.FromBase64String(padded);
            return text.Length % 4 != 1;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
