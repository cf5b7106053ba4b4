using System.Globalization;

namespace Odyssey.WebRtc.Sdp;

/// <summary>The H.264 profiles WebRTC peers name in <c>profile-level-id</c>.</summary>
public enum H264Profile
{
    ConstrainedBaseline,
    Baseline,
    Main,
    ConstrainedHigh,
    High,
}

/// <summary>
/// The <c>profile-level-id</c> fmtp parameter of H.264 (RFC 6184 §8.1): profile_idc, profile-iop (the
/// constraint_set flags) and level_idc, three bytes written as six hex digits (e.g. <c>42e01f</c>).
/// </summary>
public readonly record struct H264ProfileLevelId(byte ProfileIdc, byte ProfileIop, byte LevelIdc)
{
    /// <summary>RFC 6184 §8.1: a missing profile-level-id means Baseline level 1.0.</summary>
    public static H264ProfileLevelId Default { get; } = new(0x42, 0x00, 0x0a);

    /// <summary>Level 3.1 (1280×720 at 30 fps), what Chromium and aiortc put in their offers.</summary>
    public const byte Level31 = 0x1f;

    private const byte ConstraintSet0 = 0x80;
    private const byte ConstraintSet1 = 0x40;
    private const byte ConstraintSet3 = 0x10;
    private const byte ConstraintSet4 = 0x08;
    private const byte ConstraintSet5 = 0x04;

    /// <summary>The profile this id names, or null for one WebRTC does not use (Extended, High 10…).</summary>
    /// <remarks>
    /// A stream that obeys the constraint_set flags of a smaller profile can be decoded as that profile
    /// (H.264 §A.2), which is why Main with constraint_set0 and Extended with set0+set1 count as Constrained
    /// Baseline, and High with set4+set5 as Constrained High.
    /// </remarks>
    public H264Profile? Profile => ProfileIdc switch
    {
        0x42 => (ProfileIop & ConstraintSet1) != 0 ? H264Profile.ConstrainedBaseline : H264Profile.Baseline,
        0x4d => (ProfileIop & ConstraintSet0) != 0 ? H264Profile.ConstrainedBaseline : H264Profile.Main,
        0x58 => (ProfileIop & (ConstraintSet0 | ConstraintSet1)) == (ConstraintSet0 | ConstraintSet1) ? H264Profile.ConstrainedBaseline
            : (ProfileIop & ConstraintSet0) != 0 ? H264Profile.Baseline
            : null,
        0x64 => (ProfileIop & (ConstraintSet4 | ConstraintSet5)) == (ConstraintSet4 | ConstraintSet5) ? H264Profile.ConstrainedHigh : H264Profile.High,
        _ => null,
    };

    /// <summary>
    /// The level as an orderable number: level_idc × 2, with level 1b (level_idc 11 plus constraint_set3 in
    /// the Baseline family, or level_idc 9) placed between 1.0 and 1.1 (H.264 §A.3.1).
    /// </summary>
    internal int LevelRank =>
        LevelIdc == 9 || (LevelIdc == 11 && (ProfileIop & ConstraintSet3) != 0 && ProfileIdc is 0x42 or 0x4d or 0x58)
            ? (10 * 2) + 1
            : LevelIdc * 2;

    /// <summary>Reads six hex digits; false for anything else.</summary>
    public static bool TryParse(string? text, out H264ProfileLevelId value)
    {
        value = default;
        if (text is null || text.Length != 6 || !uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bits))
        {
            return false;
        }

        value = new H264ProfileLevelId((byte)(bits >> 16), (byte)(bits >> 8), (byte)bits);
        return true;
    }

    /// <summary>A profile with the usual constraint flags (as Chromium writes it) at a level.</summary>
    public static H264ProfileLevelId From(H264Profile profile, byte levelIdc) => profile switch
    {
        H264Profile.ConstrainedBaseline => new(0x42, 0xe0, levelIdc),
        H264Profile.Baseline => new(0x42, 0x00, levelIdc),
        H264Profile.Main => new(0x4d, 0x00, levelIdc),
        H264Profile.ConstrainedHigh => new(0x64, 0x0c, levelIdc),
        H264Profile.High => new(0x64, 0x00, levelIdc),
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "not an H.264 profile"),
    };

    /// <summary>Six lower-case hex digits, e.g. <c>42e01f</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{ProfileIdc:x2}{ProfileIop:x2}{LevelIdc:x2}");
}
