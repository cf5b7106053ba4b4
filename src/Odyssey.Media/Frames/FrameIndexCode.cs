namespace Odyssey.Media;

/// <summary>
/// A machine-readable stamp of a frame's index, drawn in the top quarter of the picture (by the pipeline's
/// <c>testpattern</c> source and the Odyssey emulator's world), so tests and sinks downstream can check
/// order and loss after filters, lossy codecs and networks.
/// </summary>
/// <remarks>
/// The stamp is a grid of <see cref="Columns"/> × <see cref="Rows"/> black or white cells. Cell edges sit
/// at fixed fractions of the frame (cell column c spans [c·W/16, (c+1)·W/16)), so the reader finds them
/// from the frame's own size and the code survives resizing. Cells are large (40×40 at 640×480, 4×4 at
/// 64×48) and only their inner half is sampled, so blurs and codec ringing at the edges do not matter.
/// Layout, row-major: a white and a black reference cell, the index's 32 low bits (most significant
/// first), an 8-bit check (CRC-8 of the four index bytes, whitened), and six fixed marker cells. The
/// reader requires contrast between the references, every marker right, and the check to match, so a
/// frame without a stamp is rejected rather than misread. Indices are stamped modulo 2^32.
/// </remarks>
public static class FrameIndexCode
{
    /// <summary>Cells per grid row.</summary>
    public const int Columns = 16;

    /// <summary>Grid rows.</summary>
    public const int Rows = 3;

    /// <summary>The frame height is cut into this many bands; the grid takes the first <see cref="Rows"/> (a quarter).</summary>
    private const int HeightDivisions = 12;

    private const int IndexBits = 32;
    private const int CheckBits = 8;
    private const int FirstIndexCell = 2;
    private const int FirstCheckCell = FirstIndexCell + IndexBits;
    private const int FirstMarkerCell = FirstCheckCell + CheckBits;
    private const int Cells = Columns * Rows;

    // Fixed cells, 1 = white: the two references at the start and six markers at the end; a mix of
    // both colours so neither an all-black nor an all-white area passes.
    private const ulong MarkerPattern = 0b101100;
    private const int MarkerCells = Cells - FirstMarkerCell;

    /// <summary>Whitens the check so an index of 0 does not produce an all-black stamp.</summary>
    private const byte CheckWhitening = 0x5A;

    /// <summary>CRC-8 polynomial x^8 + x^2 + x + 1 (CRC-8/SMBUS): detects every 1- and 2-bit error in 32 bits.</summary>
    private const byte CrcPolynomial = 0x07;

    /// <summary>White and black references must differ by this much luma, else there is no stamp to read.</summary>
    private const int MinimumContrast = 64;

    /// <summary>About this many samples per side of a cell's centre (about 64 per cell) when reading.</summary>
    private const int SamplesPerSide = 8;

    private const byte White = 255;
    private const byte Black = 0;

    /// <summary>Neutral chroma (no colour) under the stamp of a YUV frame, so it reads the same after conversion to RGB.</summary>
    private const byte NeutralChroma = 128;

    // BT.601 luma weights (0.299, 0.587, 0.114) in 8-bit fixed point, for reading a few packed pixels without
    // converting the frame; they sum to 256, so a grey pixel keeps its exact value.
    private const int RedWeight = 77;
    private const int GreenWeight = 150;
    private const int BlueWeight = 29;
    private const int FixedPointShift = 8;
    private const int Rounding = 1 << (FixedPointShift - 1);

    /// <summary>
    /// Draws the stamp of <paramref name="index"/> into a BGR24, RGB24, GRAY8, I420 or NV12 frame: luma cells
    /// (black and white are the same in both RGB orders) and, for YUV, neutral chroma under them.
    /// </summary>
    /// <exception cref="ArgumentException">The frame has another pixel format.</exception>
    public static void Draw(VideoFrame frame, long index)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Format is not (PixelFormat.Bgr24 or PixelFormat.Rgb24 or PixelFormat.Gray8 or PixelFormat.I420 or PixelFormat.Nv12))
        {
            throw new ArgumentException($"the index stamp is drawn on BGR24, RGB24, GRAY8, I420 or NV12 frames, not {frame.Format}", nameof(frame));
        }

        var bytesPerPixel = frame.Format is PixelFormat.Bgr24 or PixelFormat.Rgb24 ? 3 : 1;
        var value = (uint)index;
        var check = Check(value);
        for (var cell = 0; cell < Cells; cell++)
        {
            var colour = ExpectedBit(cell, value, check) ? White : Black;
            var (left, top, right, bottom) = CellBounds(cell, frame.Width, frame.Height);
            for (var y = top; y < bottom; y++)
            {
                frame.GetRow(0, y)[(left * bytesPerPixel)..(right * bytesPerPixel)].Fill(colour);
            }
        }

        if (frame.Format is PixelFormat.I420 or PixelFormat.Nv12)
        {
            NeutraliseChroma(frame);
        }
    }

    /// <summary>Sets the chroma under the grid's rows to neutral (4:2:0: half the rows and columns, rounded up).</summary>
    private static void NeutraliseChroma(VideoFrame frame)
    {
        var gridBottom = Rows * frame.Height / HeightDivisions;
        var chromaRows = Math.Min((gridBottom + 1) / 2, (frame.Height + 1) / 2);
        var chromaWidth = (frame.Width + 1) / 2;
        for (var y = 0; y < chromaRows; y++)
        {
            if (frame.Format == PixelFormat.Nv12)
            {
                frame.GetRow(1, y)[..(2 * chromaWidth)].Fill(NeutralChroma);
            }
            else
            {
                frame.GetRow(1, y)[..chromaWidth].Fill(NeutralChroma);
                frame.GetRow(2, y)[..chromaWidth].Fill(NeutralChroma);
            }
        }
    }

    /// <summary>Reads the index stamped on <paramref name="frame"/> (any pixel format). False when there is no readable stamp.</summary>
    public static bool TryRead(VideoFrame frame, out long index)
    {
        ArgumentNullException.ThrowIfNull(frame);
        index = -1;
        if (frame.Width < Columns || frame.Height < HeightDivisions)
        {
            return false;
        }

        Span<int> means = stackalloc int[Cells];
        for (var cell = 0; cell < Cells; cell++)
        {
            means[cell] = InnerMean(frame, cell);
        }

        var white = means[0];
        var black = means[1];
        if (white - black < MinimumContrast)
        {
            return false;
        }

        var middle = (white + black) / 2;
        for (var marker = 0; marker < MarkerCells; marker++)
        {
            var expected = ((MarkerPattern >> (MarkerCells - 1 - marker)) & 1) != 0;
            if (means[FirstMarkerCell + marker] > middle != expected)
            {
                return false;
            }
        }

        uint value = 0;
        for (var bit = 0; bit < IndexBits; bit++)
        {
            value = (value << 1) | (means[FirstIndexCell + bit] > middle ? 1u : 0u);
        }

        var check = 0;
        for (var bit = 0; bit < CheckBits; bit++)
        {
            check = (check << 1) | (means[FirstCheckCell + bit] > middle ? 1 : 0);
        }

        if (check != Check(value))
        {
            return false;
        }

        index = value;
        return true;
    }

    private static bool ExpectedBit(int cell, uint value, byte check) => cell switch
    {
        0 => true,
        1 => false,
        < FirstCheckCell => ((value >> (IndexBits - 1 - (cell - FirstIndexCell))) & 1) != 0,
        < FirstMarkerCell => ((check >> (CheckBits - 1 - (cell - FirstCheckCell))) & 1) != 0,
        _ => ((MarkerPattern >> (MarkerCells - 1 - (cell - FirstMarkerCell))) & 1) != 0,
    };

    private static byte Check(uint value)
    {
        byte crc = 0;
        for (var shift = 24; shift >= 0; shift -= 8)
        {
            crc ^= (byte)(value >> shift);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x80) != 0 ? (byte)((crc << 1) ^ CrcPolynomial) : (byte)(crc << 1);
            }
        }

        return (byte)(crc ^ CheckWhitening);
    }

    private static (int Left, int Top, int Right, int Bottom) CellBounds(int cell, int width, int height)
    {
        var column = cell % Columns;
        var row = cell / Columns;
        return (column * width / Columns, row * height / HeightDivisions, (column + 1) * width / Columns, (row + 1) * height / HeightDivisions);
    }

    /// <summary>
    /// Mean luma of the cell's central half (at least one pixel), away from edges blurred by filters and
    /// codecs. Large cells are sampled on a sparse grid: the centre is flat, so more samples add nothing.
    /// </summary>
    private static int InnerMean(VideoFrame frame, int cell)
    {
        var (left, top, right, bottom) = CellBounds(cell, frame.Width, frame.Height);
        var insetX = (right - left) / 4;
        var insetY = (bottom - top) / 4;
        left += insetX;
        right = Math.Max(left + 1, right - insetX);
        top += insetY;
        bottom = Math.Max(top + 1, bottom - insetY);
        var stepX = Math.Max(1, (right - left) / SamplesPerSide);
        var stepY = Math.Max(1, (bottom - top) / SamplesPerSide);
        long sum = 0;
        long samples = 0;
        for (var y = top; y < bottom; y += stepY)
        {
            var row = frame.GetRow(0, y);
            switch (frame.Format)
            {
                case PixelFormat.Bgr24:
                    for (var x = left; x < right; x += stepX, samples++)
                    {
                        sum += LumaOf(row[(3 * x) + 2], row[(3 * x) + 1], row[3 * x]);
                    }

                    break;
                case PixelFormat.Rgb24:
                    for (var x = left; x < right; x += stepX, samples++)
                    {
                        sum += LumaOf(row[3 * x], row[(3 * x) + 1], row[(3 * x) + 2]);
                    }

                    break;
                default:
                    for (var x = left; x < right; x += stepX, samples++)
                    {
                        sum += row[x];
                    }

                    break;
            }
        }

        return (int)(sum / samples);
    }

    private static int LumaOf(byte red, byte green, byte blue) =>
        ((red * RedWeight) + (green * GreenWeight) + (blue * BlueWeight) + Rounding) >> FixedPointShift;
}
