namespace Odyssey.Media;

/// <summary>
/// The fixed-point constants of one <see cref="YuvMatrix"/> in limited ("TV") range: Y in 16..235, Cb/Cr in
/// 16..240 around 128. Every conversion takes its numbers from here, so the scalar reference, the vector
/// kernels and the encoders cannot drift apart.
/// </summary>
internal sealed class YuvCoefficients
{
    /// <summary>
    /// Fraction bits of the decode sums. Six keeps every term of a 16-bit lane inside ±32767 except the
    /// sum for super-white inputs, which saturates to a value that clamps to 255 anyway.
    /// </summary>
    public const int DecodeFractionBits = 6;

    /// <summary>
    /// Luma enters the 16-bit multiply as Y &lt;&lt; 7 (max 32640, still a positive short) and chroma as
    /// (C - 128) &lt;&lt; 8 (-32768..32512), the largest shifts that fit, so the rounding multiply-high keeps
    /// the most precision.
    /// </summary>
    public const int LumaInputShift = 7;

    /// <inheritdoc cref="LumaInputShift"/>
    public const int ChromaInputShift = 8;

    /// <summary>Fraction bits of the 32-bit encode (RGB → YUV / grey) sums.</summary>
    public const int EncodeFractionBits = 16;

    private const double LumaRange = 219.0;   // 235 - 16
    private const double ChromaRange = 224.0; // 240 - 16
    private const double FullRange = 255.0;

    private YuvCoefficients(double kr, double kb)
    {
        var kg = 1.0 - kr - kb;
        var lumaScale = FullRange / LumaRange;
        var chromaScale = FullRange / ChromaRange;

        // Decode: R = Ys (Y - 16) + Rv (V - 128); G = Ys (Y - 16) + Gu (U - 128) + Gv (V - 128); B = Ys (Y - 16) + Bu (U - 128).
        // A multiply-high-round of (x << s) by q yields x * q / 2^(15 - s), so q = c * 2^(fraction + 15 - s).
        var lumaQ = 1 << (DecodeFractionBits + 15 - LumaInputShift);
        var chromaQ = 1 << (DecodeFractionBits + 15 - ChromaInputShift);
        LumaFactor = (short)Math.Round(lumaScale * lumaQ);
        RedFromV = (short)Math.Round(2 * (1 - kr) * chromaScale * chromaQ);
        GreenFromU = (short)Math.Round(-2 * kb * (1 - kb) / kg * chromaScale * chromaQ);
        GreenFromV = (short)Math.Round(-2 * kr * (1 - kr) / kg * chromaScale * chromaQ);
        BlueFromU = (short)Math.Round(2 * (1 - kb) * chromaScale * chromaQ);

        // The luma term is computed from Y, not Y - 16 (one subtraction less per pixel); the offset and the
        // final rounding half are folded into the chroma terms, which are computed once per four pixels.
        var lumaOffset = MultiplyHighRound(16 << LumaInputShift, LumaFactor);
        DecodeBias = (short)((1 << (DecodeFractionBits - 1)) - lumaOffset);

        // Encode, limited range: Y = 16 + 219/255 (Kr R + Kg G + Kb B); Cb = 128 + 224/255 (B - Y') / (2 (1 - Kb)); Cr likewise with R.
        const double one = 1 << EncodeFractionBits;
        var toLuma = LumaRange / FullRange;
        YFromR = (int)Math.Round(kr * toLuma * one);
        YFromB = (int)Math.Round(kb * toLuma * one);
        YFromG = (int)Math.Round(kg * toLuma * one);
        var cb = ChromaRange / FullRange / (2 * (1 - kb));
        var cr = ChromaRange / FullRange / (2 * (1 - kr));
        UFromR = (int)Math.Round(-kr * cb * one);
        UFromG = (int)Math.Round(-kg * cb * one);
        UFromB = -UFromR - UFromG; // rows sum to zero, so any grey gives exactly 128
        VFromG = (int)Math.Round(-kg * cr * one);
        VFromB = (int)Math.Round(-kb * cr * one);
        VFromR = -VFromG - VFromB;

        // Full-range grey (what OpenCV calls GRAY): the rows sum to exactly one, so white stays 255.
        GrayFromR = (int)Math.Round(kr * one);
        GrayFromB = (int)Math.Round(kb * one);
        GrayFromG = (int)one - GrayFromR - GrayFromB;
    }

    /// <summary>Limited-range luma → full-range grey: (Y - 16) × 255/219, in <see cref="EncodeFractionBits"/>.</summary>
    public static int LumaExpand { get; } = (int)Math.Round(FullRange / LumaRange * (1 << EncodeFractionBits));

    /// <summary>Full-range grey → limited-range luma: 16 + g × 219/255, in <see cref="EncodeFractionBits"/>.</summary>
    public static int LumaCompress { get; } = (int)Math.Round(LumaRange / FullRange * (1 << EncodeFractionBits));

    /// <summary>ITU-R BT.601: Kr = 0.299, Kb = 0.114.</summary>
    public static YuvCoefficients Bt601 { get; } = new(0.299, 0.114);

    /// <summary>ITU-R BT.709: Kr = 0.2126, Kb = 0.0722.</summary>
    public static YuvCoefficients Bt709 { get; } = new(0.2126, 0.0722);

    public short LumaFactor { get; }

    public short RedFromV { get; }

    public short GreenFromU { get; }

    public short GreenFromV { get; }

    public short BlueFromU { get; }

    public short DecodeBias { get; }

    public int YFromR { get; }

    public int YFromG { get; }

    public int YFromB { get; }

    public int UFromR { get; }

    public int UFromG { get; }

    public int UFromB { get; }

    public int VFromR { get; }

    public int VFromG { get; }

    public int VFromB { get; }

    public int GrayFromR { get; }

    public int GrayFromG { get; }

    public int GrayFromB { get; }

    public static YuvCoefficients For(YuvMatrix matrix) => matrix switch
    {
        YuvMatrix.Bt601 => Bt601,
        YuvMatrix.Bt709 => Bt709,
        _ => throw new ArgumentOutOfRangeException(nameof(matrix), matrix, "unknown YUV matrix"),
    };

    /// <summary>
    /// (a * b + 2^14) &gt;&gt; 15: the rounding signed multiply-high every SIMD instruction set has
    /// (x86 pmulhrsw, Arm sqrdmulh). The scalar reference uses this very function, so both agree bit for bit.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static int MultiplyHighRound(int a, int b) => ((a * b) + (1 << 14)) >> 15;
}
