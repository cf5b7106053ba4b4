namespace Odyssey.Emulator.World;

/// <summary>
/// What the world shows for one prompt: colours, moving shapes and the text, all derived from the prompt
/// (and the start image, when one was given) so that every prompt visibly changes the picture. Immutable:
/// the renderer reads whichever scene is current without locking.
/// </summary>
internal sealed class Scene
{
    /// <summary>Luma of the background: mid-dark, so white text and the stamp's white cells stand out.</summary>
    private const int MinBackgroundLuma = 40;
    private const int BackgroundLumaRange = 60;

    /// <summary>Chroma offsets stay within ±96 of neutral: saturated but legal 4:2:0 colours.</summary>
    private const int ChromaSwing = 96;

    private const int MaxShapes = 4;

    /// <summary>
    /// Colour words a prompt may name, with their BT.601 limited-range (Y, U, V), so "a blue whale" is blue:
    /// the first one named sets the background; otherwise the prompt's hash picks a colour.
    /// </summary>
    private static readonly (string Word, byte Y, byte U, byte V)[] ColourWords =
    [
        ("red", 81, 90, 240), ("orange", 130, 60, 190), ("yellow", 170, 30, 146), ("green", 110, 70, 60),
        ("blue", 41, 240, 110), ("purple", 60, 180, 180), ("pink", 160, 140, 190), ("cyan", 150, 160, 40),
        ("brown", 70, 100, 160), ("white", 200, 128, 128), ("black", 30, 128, 128), ("grey", 110, 128, 128),
        ("gray", 110, 128, 128), ("snow", 190, 135, 125), ("night", 35, 150, 120), ("forest", 80, 90, 90),
        ("ocean", 60, 200, 80), ("sea", 60, 200, 80), ("desert", 150, 80, 150), ("fire", 90, 70, 220),
    ];

    private Scene(string prompt, uint seed, bool idle)
    {
        Prompt = prompt;
        Idle = idle;
        BackgroundY = (byte)(MinBackgroundLuma + (seed % BackgroundLumaRange));
        BackgroundU = Chroma(seed >> 8);
        BackgroundV = Chroma(seed >> 16);
        if (NamedColour(prompt) is { } named)
        {
            (BackgroundY, BackgroundU, BackgroundV) = named;
        }

        ShapeU = (byte)(255 - BackgroundU);
        ShapeV = (byte)(255 - BackgroundV);
        ShapeCount = 1 + (int)((seed >> 24) % MaxShapes);
        Speed = 2 + (int)((seed >> 4) % 7);
    }

    /// <summary>The scene before any stream starts.</summary>
    public static Scene Waiting { get; } = new("waiting for interactive_stream_start", 0x5EED_0001u, idle: true);

    public string Prompt { get; }

    public bool Idle { get; }

    public byte BackgroundY { get; }

    public byte BackgroundU { get; }

    public byte BackgroundV { get; }

    public byte ShapeU { get; }

    public byte ShapeV { get; }

    public int ShapeCount { get; }

    /// <summary>Pixels per frame the shapes and stripes move.</summary>
    public int Speed { get; }

    /// <summary>The scene for <paramref name="prompt"/>; <paramref name="imageSeed"/> mixes in a start image (0 without one).</summary>
    public static Scene For(string prompt, uint imageSeed = 0) => new(prompt, Fnv1a(prompt) ^ imageSeed, idle: false);

    /// <summary>FNV-1a over the UTF-16 code units: stable across runs (string.GetHashCode is randomised per process).</summary>
    internal static uint Fnv1a(ReadOnlySpan<char> text)
    {
        const uint OffsetBasis = 2166136261;
        const uint Prime = 16777619;
        var hash = OffsetBasis;
        foreach (var c in text)
        {
            hash = (hash ^ c) * Prime;
        }

        return hash;
    }

    private static (byte Y, byte U, byte V)? NamedColour(string prompt)
    {
        var best = -1;
        (byte, byte, byte)? colour = null;
        foreach (var (word, y, u, v) in ColourWords)
        {
            var at = prompt.IndexOf(word, StringComparison.OrdinalIgnoreCase);
            if (at >= 0 && (best < 0 || at < best))
            {
                best = at;
                colour = (y, u, v);
            }
        }

        return colour;
    }

    private static byte Chroma(uint bits) => (byte)(128 - ChromaSwing + (int)(bits % (2 * ChromaSwing)));
}
