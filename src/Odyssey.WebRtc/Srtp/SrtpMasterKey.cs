namespace Odyssey.WebRtc.Srtp;

/// <summary>
/// One direction's SRTP master key and master salt. Each side of a DTLS-SRTP association writes with
/// its own key (client key for what the DTLS client sends) and reads with the peer's.
/// </summary>
public sealed class SrtpMasterKey
{
    private readonly byte[] _key;
    private readonly byte[] _salt;

    /// <summary>Creates a master key; the lengths must match the profile.</summary>
    public SrtpMasterKey(SrtpProfile profile, ReadOnlySpan<byte> key, ReadOnlySpan<byte> salt)
    {
        int keyLength = SrtpProfiles.MasterKeyLength(profile);
        int saltLength = SrtpProfiles.MasterSaltLength(profile);
        if (key.Length != keyLength)
        {
            throw new ArgumentException(
                $"{SrtpProfiles.Name(profile)} needs a {keyLength}-byte master key, got {key.Length} bytes.", nameof(key));
        }

        if (salt.Length != saltLength)
        {
            throw new ArgumentException(
                $"{SrtpProfiles.Name(profile)} needs a {saltLength}-byte master salt, got {salt.Length} bytes.", nameof(salt));
        }

        Profile = profile;
        _key = key.ToArray();
        _salt = salt.ToArray();
    }

    /// <summary>The protection profile the key belongs to.</summary>
    public SrtpProfile Profile { get; }

    /// <summary>The master key.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>The master salt.</summary>
    public ReadOnlySpan<byte> Salt => _salt;

    /// <summary>Bytes of keying material DTLS must export for a profile: two keys and two salts.</summary>
    public static int DtlsExportLength(SrtpProfile profile) =>
        2 * (SrtpProfiles.MasterKeyLength(profile) + SrtpProfiles.MasterSaltLength(profile));

    /// <summary>
    /// Splits the "EXTRACTOR-dtls_srtp" export into the client's and the server's master keys.
    /// RFC 5764 §4.2: client key | server key | client salt | server salt.
    /// </summary>
    public static (SrtpMasterKey Client, SrtpMasterKey Server) FromDtlsExport(SrtpProfile profile, ReadOnlySpan<byte> exported)
    {
        int keyLength = SrtpProfiles.MasterKeyLength(profile);
        int saltLength = SrtpProfiles.MasterSaltLength(profile);
        int expected = DtlsExportLength(profile);
        if (exported.Length != expected)
        {
            throw new ArgumentException(
                $"{SrtpProfiles.Name(profile)} needs {expected} bytes of exported keying material, got {exported.Length}.",
                nameof(exported));
        }

        ReadOnlySpan<byte> clientKey = exported[..keyLength];
        ReadOnlySpan<byte> serverKey = exported.Slice(keyLength, keyLength);
        ReadOnlySpan<byte> clientSalt = exported.Slice(2 * keyLength, saltLength);
        ReadOnlySpan<byte> serverSalt = exported.Slice((2 * keyLength) + saltLength, saltLength);
        return (new SrtpMasterKey(profile, clientKey, clientSalt), new SrtpMasterKey(profile, serverKey, serverSalt));
    }
}
