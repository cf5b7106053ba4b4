namespace Odyssey.WebRtc.Sdp;

/// <summary>
/// Where kept non-attribute lines go: RFC 8866 §5 fixes the order of line types, so kept lines are stored
/// sorted by it (stable within a type) and the writer emits each rank at its place between the typed lines.
/// </summary>
internal static class SdpLineOrder
{
    /// <summary>Session-level rank of the typed <c>c=</c> line; kept lines below it are written before it.</summary>
    public const int SessionConnection = 5;

    /// <summary>Session-level rank of the typed <c>t=</c> line.</summary>
    public const int SessionTiming = 7;

    /// <summary>Session-level rank of the attributes; unknown letters come after them.</summary>
    public const int SessionAttributes = 11;

    public const int MediaConnection = 2;

    public const int MediaAttributes = 5;

    /// <summary>RFC 8866 §5: v o s i u e p c b t r z k a, then m-lines.</summary>
    public static int SessionRank(char type) => type switch
    {
        'i' => 1,
        'u' => 2,
        'e' => 3,
        'p' => 4,
        'c' => SessionConnection,
        'b' => 6,
        't' => SessionTiming,
        'r' => 8,
        'z' => 9,
        'k' => 10,
        _ => 12,
    };

    /// <summary>RFC 8866 §5: m i c b k a.</summary>
    public static int MediaRank(char type) => type switch
    {
        'i' => 1,
        'c' => MediaConnection,
        'b' => 3,
        'k' => 4,
        _ => 6,
    };

    public static void Sort(List<SdpLine> lines, Func<char, int> rank)
    {
        if (lines.Count > 1)
        {
            // OrderBy is stable, so lines of one type keep their order.
            var sorted = lines.OrderBy(line => rank(line.Type)).ToList();
            lines.Clear();
            lines.AddRange(sorted);
        }
    }
}
