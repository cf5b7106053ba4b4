using System.Globalization;
using Odyssey.Media;

namespace Odyssey.Emulator.World;

/// <summary>
/// Renders the synthetic world into I420 frames: the frame-index stamp (<see cref="FrameIndexCode"/>) in the
/// top quarter, then the frame number and the prompt in a bitmap font, over a background of moving stripes
/// with bouncing boxes whose colours, count and speed come from the <see cref="Scene"/>.
/// </summary>
/// <remarks>One owner (the session's video loop). Steady state allocates nothing: the prompt is wrapped once per scene.</remarks>
internal sealed class WorldRenderer
{
    /// <summary>Font pixels are this many frame pixels per 320 pixels of width: 4 at 1280, 2 at 704.</summary>
    private const int WidthPerFontScale = 320;

    /// <summary>Prompt lines shown; longer prompts end in "...".</summary>
    private const int MaxPromptLines = 4;

    /// <summary>Stripe period in pixels (a power of two: the pattern is indexed with a mask).</summary>
    private const int StripePeriod = 64;
    private const int StripeContrast = 24;

    /// <summary>Luma of text and boxes.</summary>
    private const byte TextLuma = 235;
    private const byte BoxLuma = 190;
    private const byte BandLuma = 16;

    /// <summary>Bands of the height: the stamp takes 3 of 12 (FrameIndexCode), the text band starts right below.</summary>
    private const int HeightBands = 12;
    private const int StampBands = 3;

    private readonly int _width;
    private readonly int _height;
    private readonly int _scale;
    private readonly byte[] _stripes;
    private readonly string[] _lines = new string[MaxPromptLines];
    private Scene? _wrapped;
    private int _lineCount;

    public WorldRenderer(int width, int height)
    {
        _width = width;
        _height = height;
        _scale = Math.Max(1, width / WidthPerFontScale);
        _stripes = new byte[width + StripePeriod];
    }

    public int Width => _width;

    public int Height => _height;

    /// <summary>Draws <paramref name="scene"/> at frame <paramref name="index"/> into <paramref name="frame"/> (I420, the renderer's size).</summary>
    public void Render(VideoFrame frame, Scene scene, long index)
    {
        if (frame.Format != PixelFormat.I420 || frame.Width != _width || frame.Height != _height)
        {
            throw new ArgumentException($"the world renders {_width}x{_height} I420 frames, not {frame.Width}x{frame.Height} {frame.Format}", nameof(frame));
        }

        if (!ReferenceEquals(scene, _wrapped))
        {
            Wrap(scene);
        }

        DrawBackground(frame, scene, index);
        DrawBoxes(frame, scene, index);
        DrawText(frame, scene, index);
        FrameIndexCode.Draw(frame, index);
    }

    private void DrawBackground(VideoFrame frame, Scene scene, long index)
    {
        var shift = (int)((index * scene.Speed) & (StripePeriod - 1));
        for (var x = 0; x < _stripes.Length; x++)
        {
            _stripes[x] = (byte)(scene.BackgroundY + (((x + shift) & (StripePeriod - 1)) < StripePeriod / 2 ? StripeContrast : 0));
        }

        for (var y = 0; y < _height; y++)
        {
            // A slant: each group of four rows starts one pixel further into the pattern.
            var offset = (y / 4) & (StripePeriod - 1);
            _stripes.AsSpan(offset, _width).CopyTo(frame.GetRow(0, y));
        }

        for (var y = 0; y < (_height + 1) / 2; y++)
        {
            frame.GetRow(1, y)[..((_width + 1) / 2)].Fill(scene.BackgroundU);
            frame.GetRow(2, y)[..((_width + 1) / 2)].Fill(scene.BackgroundV);
        }
    }

    private void DrawBoxes(VideoFrame frame, Scene scene, long index)
    {
        var size = Math.Max(2, _height / 6) & ~1;
        var top = _height - size - (_height / 12);
        var travel = Math.Max(1, _width - size);
        for (var box = 0; box < scene.ShapeCount; box++)
        {
            // Bounce: position runs 0..travel..0 with each box at its own speed and phase.
            var position = ((index * scene.Speed * (box + 1)) + (box * travel / scene.ShapeCount)) % (2L * travel);
            var left = (int)(position <= travel ? position : (2L * travel) - position) & ~1;
            var boxTop = top - (box * size / 3 & ~1);
            for (var y = Math.Max(0, boxTop); y < Math.Min(_height, boxTop + size); y++)
            {
                frame.GetRow(0, y).Slice(left, Math.Min(size, _width - left)).Fill(BoxLuma);
            }

            for (var y = Math.Max(0, boxTop) / 2; y < Math.Min(_height, boxTop + size) / 2; y++)
            {
                var chromaWidth = Math.Min(size, _width - left) / 2;
                frame.GetRow(1, y).Slice(left / 2, chromaWidth).Fill(scene.ShapeU);
                frame.GetRow(2, y).Slice(left / 2, chromaWidth).Fill(scene.ShapeV);
            }
        }
    }

    private void DrawText(VideoFrame frame, Scene scene, long index)
    {
        var lineHeight = (BitmapFont.GlyphHeight + BitmapFont.Spacing + 1) * _scale;
        var top = (_height * StampBands / HeightBands) + _scale;
        var bandHeight = Math.Min(_height - top, (_lineCount + 1) * lineHeight + _scale);
        for (var y = top; y < top + bandHeight; y++)
        {
            frame.GetRow(0, y)[.._width].Fill(BandLuma);
        }

        var plane = frame.GetPlane(0);
        var stride = frame.GetStride(0);
        Span<char> header = stackalloc char[48];
        var written = 0;
        "FRAME ".AsSpan().CopyTo(header);
        written = "FRAME ".Length;
        index.TryFormat(header[written..], out var digits, provider: CultureInfo.InvariantCulture);
        written += digits;
        if (scene.Idle)
        {
            " IDLE".AsSpan().CopyTo(header[written..]);
            written += " IDLE".Length;
        }

        var margin = 2 * _scale;
        BitmapFont.Draw(plane, stride, _width, _height, header[..written], margin, top + _scale, _scale, TextLuma);
        for (var line = 0; line < _lineCount; line++)
        {
            BitmapFont.Draw(plane, stride, _width, _height, _lines[line], margin, top + _scale + ((line + 1) * lineHeight), _scale, TextLuma);
        }
    }

    /// <summary>Greedy word wrap of the prompt (cold: once per scene).</summary>
    private void Wrap(Scene scene)
    {
        _wrapped = scene;
        _lineCount = 0;
        var perLine = BitmapFont.CharactersPerLine(_width - (4 * _scale), _scale);
        var words = scene.Prompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var current = new System.Text.StringBuilder();
        var truncated = false;
        foreach (var raw in words)
        {
            var word = raw.Length > perLine ? raw[..perLine] : raw;
            if (current.Length > 0 && current.Length + 1 + word.Length > perLine)
            {
                if (_lineCount == MaxPromptLines - 1)
                {
                    truncated = true;
                    break;
                }

                _lines[_lineCount++] = current.ToString();
                current.Clear();
            }

            current.Append(current.Length > 0 ? " " : "").Append(word);
        }

        if (current.Length > 0 && _lineCount < MaxPromptLines)
        {
            var last = current.ToString();
            if (truncated)
            {
                last = (last.Length + 3 > perLine ? last[..Math.Max(0, perLine - 3)] : last) + "...";
            }

            _lines[_lineCount++] = last;
        }
    }
}
