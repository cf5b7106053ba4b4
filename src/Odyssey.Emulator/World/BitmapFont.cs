namespace Odyssey.Emulator.World;

/// <summary>
/// A tiny managed 5×7 bitmap font (upper case, digits, common punctuation; lower case is drawn as upper
/// case, anything else as '?') for drawing prompts into the luma plane. Our own glyphs, drawn for this.
/// </summary>
internal static class BitmapFont
{
    public const int GlyphWidth = 5;
    public const int GlyphHeight = 7;

    /// <summary>Blank columns between glyphs and rows between lines, in font pixels.</summary>
    public const int Spacing = 1;

    private const int FirstCode = 32;
    private const int LastCode = 95; // '_'; lower case maps onto A–Z

    // Each glyph: 7 rows of 5 bits, most significant bit = leftmost column.
    private static readonly byte[][] Glyphs = Build();

    /// <summary>Draws <paramref name="text"/> at (<paramref name="x"/>, <paramref name="y"/>) in <paramref name="plane"/>, each font pixel a <paramref name="scale"/>² block of <paramref name="value"/>; clipped to the plane.</summary>
    public static void Draw(Span<byte> plane, int stride, int width, int height, ReadOnlySpan<char> text, int x, int y, int scale, byte value)
    {
        var advance = (GlyphWidth + Spacing) * scale;
        for (var i = 0; i < text.Length; i++, x += advance)
        {
            var glyph = GlyphFor(text[i]);
            for (var row = 0; row < GlyphHeight; row++)
            {
                var bits = glyph[row];
                if (bits == 0)
                {
                    continue;
                }

                for (var column = 0; column < GlyphWidth; column++)
                {
                    if ((bits & (1 << (GlyphWidth - 1 - column))) != 0)
                    {
                        FillBlock(plane, stride, width, height, x + (column * scale), y + (row * scale), scale, value);
                    }
                }
            }
        }
    }

    /// <summary>Characters per line at <paramref name="scale"/> in <paramref name="width"/> pixels.</summary>
    public static int CharactersPerLine(int width, int scale) => Math.Max(1, width / ((GlyphWidth + Spacing) * scale));

    private static byte[] GlyphFor(char c)
    {
        if (c is >= 'a' and <= 'z')
        {
            c = (char)(c - 'a' + 'A');
        }

        return c is >= (char)FirstCode and <= (char)LastCode ? Glyphs[c - FirstCode] : Glyphs['?' - FirstCode];
    }

    private static void FillBlock(Span<byte> plane, int stride, int width, int height, int left, int top, int size, byte value)
    {
        var right = Math.Min(left + size, width);
        var bottom = Math.Min(top + size, height);
        left = Math.Max(left, 0);
        for (var y = Math.Max(top, 0); y < bottom; y++)
        {
            if (right > left)
            {
                plane.Slice((y * stride) + left, right - left).Fill(value);
            }
        }
    }

    private static byte[][] Build()
    {
        var table = new byte[LastCode - FirstCode + 1][];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = new byte[GlyphHeight];
        }

        void Set(char c, params string[] rows)
        {
            var glyph = table[c - FirstCode];
            for (var row = 0; row < GlyphHeight; row++)
            {
                byte bits = 0;
                for (var column = 0; column < GlyphWidth; column++)
                {
                    bits = (byte)((bits << 1) | (rows[row][column] == '#' ? 1 : 0));
                }

                glyph[row] = bits;
            }
        }

        Set('!', "..#..", "..#..", "..#..", "..#..", "..#..", ".....", "..#..");
        Set('"', ".#.#.", ".#.#.", ".....", ".....", ".....", ".....", ".....");
        Set('#', ".#.#.", "#####", ".#.#.", ".#.#.", "#####", ".#.#.", ".....");
        Set('%', "##..#", "##.#.", "..#..", "..#..", ".#...", "#..##", "...##");
        Set('&', ".##..", "#..#.", ".##..", ".#...", "#.#.#", "#..#.", ".##.#");
        Set('\'', "..#..", "..#..", ".....", ".....", ".....", ".....", ".....");
        Set('(', "...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#.");
        Set(')', ".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#...");
        Set('*', ".....", "#.#.#", ".###.", "#####", ".###.", "#.#.#", ".....");
        Set('+', ".....", "..#..", "..#..", "#####", "..#..", "..#..", ".....");
        Set(',', ".....", ".....", ".....", ".....", "..##.", "..#..", ".#...");
        Set('-', ".....", ".....", ".....", "#####", ".....", ".....", ".....");
        Set('.', ".....", ".....", ".....", ".....", ".....", ".##..", ".##..");
        Set('/', "....#", "...#.", "...#.", "..#..", ".#...", ".#...", "#....");
        Set('0', ".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###.");
        Set('1', "..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###.");
        Set('2', ".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####");
        Set('3', "#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###.");
        Set('4', "...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#.");
        Set('5', "#####", "#....", "####.", "....#", "....#", "#...#", ".###.");
        Set('6', "..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###.");
        Set('7', "#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#...");
        Set('8', ".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###.");
        Set('9', ".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##..");
        Set(':', ".....", ".##..", ".##..", ".....", ".##..", ".##..", ".....");
        Set(';', ".....", ".##..", ".##..", ".....", ".##..", "..#..", ".#...");
        Set('<', "...#.", "..#..", ".#...", "#....", ".#...", "..#..", "...#.");
        Set('=', ".....", ".....", "#####", ".....", "#####", ".....", ".....");
        Set('>', ".#...", "..#..", "...#.", "....#", "...#.", "..#..", ".#...");
        Set('?', ".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#..");
        Set('@', ".###.", "#...#", "....#", ".##.#", "#.#.#", "#.#.#", ".###.");
        Set('A', ".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#");
        Set('B', "####.", "#...#", "#...#", "####.", "#...#", "#...#", "####.");
        Set('C', ".###.", "#...#", "#....", "#....", "#....", "#...#", ".###.");
        Set('D', "###..", "#..#.", "#...#", "#...#", "#...#", "#..#.", "###..");
        Set('E', "#####", "#....", "#....", "####.", "#....", "#....", "#####");
        Set('F', "#####", "#....", "#....", "####.", "#....", "#....", "#....");
        Set('G', ".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####");
        Set('H', "#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#");
        Set('I', ".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###.");
        Set('J', "..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##..");
        Set('K', "#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#");
        Set('L', "#....", "#....", "#....", "#....", "#....", "#....", "#####");
        Set('M', "#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#");
        Set('N', "#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#");
        Set('O', ".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###.");
        Set('P', "####.", "#...#", "#...#", "####.", "#....", "#....", "#....");
        Set('Q', ".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#");
        Set('R', "####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#");
        Set('S', ".####", "#....", "#....", ".###.", "....#", "....#", "####.");
        Set('T', "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#..");
        Set('U', "#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###.");
        Set('V', "#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#..");
        Set('W', "#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#.");
        Set('X', "#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#");
        Set('Y', "#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#..");
        Set('Z', "#####", "....#", "...#.", "..#..", ".#...", "#....", "#####");
        Set('[', ".###.", ".#...", ".#...", ".#...", ".#...", ".#...", ".###.");
        Set('\\', "#....", ".#...", ".#...", "..#..", "...#.", "...#.", "....#");
        Set(']', ".###.", "...#.", "...#.", "...#.", "...#.", "...#.", ".###.");
        Set('^', "..#..", ".#.#.", "#...#", ".....", ".....", ".....", ".....");
        Set('_', ".....", ".....", ".....", ".....", ".....", ".....", "#####");
        return table;
    }
}
