using System.Security.Cryptography;
using System.Text;

namespace Odyssey.WebRtc.Dtls;

/// <summary>
/// A certificate fingerprint as SDP carries it (RFC 8122 §5): <c>a=fingerprint:sha-256 AB:CD:…</c>.
/// WebRTC certificates are self-signed, so this hash, signalled over the authenticated SDP channel,
/// is what authenticates the DTLS peer.
/// </summary>
public sealed class DtlsFingerprint : IEquatable<DtlsFingerprint>
{
    private readonly byte[] _value;

    private DtlsFingerprint(string algorithm, byte[] value)
    {
        Algorithm = algorithm;
        _value = value;
    }

    /// <summary>The hash function's SDP name, lower case: sha-1, sha-256, sha-384 or sha-512.</summary>
    public string Algorithm { get; }

    /// <summary>The digest of the DER-encoded certificate.</summary>
    public ReadOnlySpan<byte> Value => _value;

    /// <summary>Hashes a DER-encoded certificate with the named algorithm.</summary>
    public static DtlsFingerprint Compute(string algorithm, ReadOnlySpan<byte> derCertificate)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        string name = algorithm.ToLowerInvariant();
        if (DigestLength(name) == 0)
        {
            throw new ArgumentException(
                $"Fingerprint hash '{algorithm}' is not supported (sha-1, sha-256, sha-384, sha-512 are).", nameof(algorithm));
        }

        return new DtlsFingerprint(name, Hash(name, derCertificate));
    }

    /// <summary>Parses the SDP form "sha-256 AB:CD:…"; throws <see cref="FormatException"/> naming the problem.</summary>
    public static DtlsFingerprint Parse(string text)
    {
        return TryParse(text, out DtlsFingerprint? fingerprint, out string? error)
            ? fingerprint
            : throw new FormatException($"Invalid a=fingerprint value '{text}': {error}");
    }

    /// <summary>Parses the SDP form; false if it is not a supported, well-formed fingerprint.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DtlsFingerprint? fingerprint) =>
        TryParse(text, out fingerprint, out _);

    private static bool TryParse(
        string? text,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DtlsFingerprint? fingerprint,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        fingerprint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty";
            return false;
        }

        string[] parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2)
        {
            error = "expected '<hash-func> <hex pairs separated by colons>'";
            return false;
        }

        string algorithm = parts[0].ToLowerInvariant();
        int digestLength = DigestLength(algorithm);
        if (digestLength == 0)
        {
            error = $"hash function '{parts[0]}' is not supported (sha-1, sha-256, sha-384, sha-512 are)";
            return false;
        }

        string[] pairs = parts[1].Split(':');
        if (pairs.Length != digestLength)
        {
            error = $"{algorithm} needs {digestLength} hex pairs, found {pairs.Length}";
            return false;
        }

        var value = new byte[digestLength];
        for (int i = 0; i < pairs.Length; i++)
        {
            if (pairs[i].Length != 2 || !byte.TryParse(pairs[i], System.Globalization.NumberStyles.AllowHexSpecifier, null, out value[i]))
            {
                error = $"pair {i + 1} ('{pairs[i]}') is not two hex digits";
                return false;
            }
        }

        fingerprint = new DtlsFingerprint(algorithm, value);
        error = null;
        return true;
    }

    /// <summary>Whether this fingerprint is that of the DER-encoded certificate (constant-time comparison).</summary>
    public bool Matches(ReadOnlySpan<byte> derCertificate) =>
        CryptographicOperations.FixedTimeEquals(Hash(Algorithm, derCertificate), _value);

    /// <summary>The SDP form: algorithm, a space, upper-case hex pairs joined by colons.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(Algorithm.Length + 1 + (_value.Length * 3));
        text.Append(Algorithm).Append(' ');
        for (int i = 0; i < _value.Length; i++)
        {
            if (i > 0)
            {
                text.Append(':');
            }

            text.Append(_value[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <inheritdoc/>
    public bool Equals(DtlsFingerprint? other) =>
        other is not null && Algorithm == other.Algorithm && _value.AsSpan().SequenceEqual(other._value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as DtlsFingerprint);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Algorithm);
        hash.AddBytes(_value);
        return hash.ToHashCode();
    }

    private static int DigestLength(string algorithm) => algorithm switch
    {
        "sha-1" => SHA1.HashSizeInBytes,
        "sha-256" => SHA256.HashSizeInBytes,
        "sha-384" => SHA384.HashSizeInBytes,
        "sha-512" => SHA512.HashSizeInBytes,
        _ => 0,
    };

#pragma warning disable CA5350 // SHA-1 fingerprints are still legal in SDP (RFC 8122 §5); we never produce one ourselves.
    private static byte[] Hash(string algorithm, ReadOnlySpan<byte> data) => algorithm switch
    {
        "sha-1" => SHA1.HashData(data),
        "sha-256" => SHA256.HashData(data),
        "sha-384" => SHA384.HashData(data),
        "sha-512" => SHA512.HashData(data),
        _ => throw new ArgumentException($"Fingerprint hash '{algorithm}' is not supported.", nameof(algorithm)),
    };
#pragma warning restore CA5350
}
