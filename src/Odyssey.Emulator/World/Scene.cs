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

    private Scene(string prompt, uint seed, bool idle)
    {
        Prompt = prompt;
        Idle = idle;
        BackgroundY = (byte)(MinBackgroundLuma + (seed % BackgroundLumaRange));
        BackgroundU = Chroma(seed >> 8);
        BackgroundV = Chroma(seed >> 16);
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

    private static byte Chroma(uint bits) => (byte)(128 - ChromaSwing + (int)(bits % (2 * ChromaSwing)));
}
