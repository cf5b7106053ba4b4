namespace Odyssey.Media.Tests.Conversion;

/// <summary>
/// The real-valued limited-range formulas, written out independently of the converter's fixed-point
/// constants, so the tests check the converter against the standard rather than against itself.
/// </summary>
internal static class ColorFormula
{
    public static (double Kr, double Kb) Weights(YuvMatrix matrix) => matrix == YuvMatrix.Bt601 ? (0.299, 0.114) : (0.2126, 0.0722);

    /// <summary>Clamped real-valued B, G, R of one limited-range YUV sample.</summary>
    public static (double Blue, double Green, double Red) YuvToBgr(int y, int u, int v, YuvMatrix matrix)
    {
        var (kr, kb) = Weights(matrix);
        var kg = 1 - kr - kb;
        var luma = (y - 16) * 255.0 / 219.0;
        var pb = (u - 128) * 255.0 / 224.0;
        var pr = (v - 128) * 255.0 / 224.0;
        var red = luma + (2 * (1 - kr) * pr);
        var blue = luma + (2 * (1 - kb) * pb);
        var green = (luma - (kr * red) - (kb * blue)) / kg;
        return (Math.Clamp(blue, 0, 255), Math.Clamp(green, 0, 255), Math.Clamp(red, 0, 255));
    }

    /// <summary>Real-valued limited-range Y, U, V of one full-range colour.</summary>
    public static (double Y, double U, double V) BgrToYuv(double blue, double green, double red, YuvMatrix matrix)
    {
        var (kr, kb) = Weights(matrix);
        var luma = (kr * red) + ((1 - kr - kb) * green) + (kb * blue);
        return (
            16 + (luma * 219.0 / 255.0),
            128 + ((blue - luma) / (2 * (1 - kb)) * 224.0 / 255.0),
            128 + ((red - luma) / (2 * (1 - kr)) * 224.0 / 255.0));
    }

    public static byte RoundToByte(double value) => (byte)Math.Clamp(Math.Round(value), 0, 255);
}
