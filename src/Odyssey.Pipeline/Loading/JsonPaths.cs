using System.Globalization;
using System.Text.Json;

namespace Odyssey.Pipeline;

/// <summary>Builds the JSON paths that errors point at, and the short value descriptions messages quote.</summary>
internal static class JsonPaths
{
    /// <summary>The document root.</summary>
    public const string Root = "$";

    /// <summary>Values longer than this are cut in messages: a message names a value, it does not reprint the file.</summary>
    private const int MaxQuotedValueLength = 40;

    /// <summary><c>parent.name</c>, or <c>parent['odd name']</c> when the name is not a plain identifier.</summary>
    public static string Member(string parent, string name) =>
        IsShorthandName(name) ? $"{parent}.{name}" : $"{parent}['{name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}']";

    /// <summary><c>parent[index]</c>.</summary>
    public static string Index(string parent, int index) => string.Create(CultureInfo.InvariantCulture, $"{parent}[{index}]");

    /// <summary>"an object", "an array", or the value's JSON text (cut when long), for "…, not X." messages.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => Cut(value.GetRawText()),
    };

    /// <summary>Cuts long text to a length a one-line message can carry.</summary>
    public static string Cut(string text) =>
        text.Length <= MaxQuotedValueLength ? text : string.Concat(text.AsSpan(0, MaxQuotedValueLength), "…");

    /// <summary>Formats a bound (from a range) the way a person writes it: 1, 0.5, 65536.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>"\"a\", \"b\", \"c\"".</summary>
    public static string QuoteList(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"\"{n}\""));

    // RFC 9535 §2.5.1.1: a member-name-shorthand starts with a letter or '_' and continues with letters,
    // digits or '_'; anything else (a '-', a space, a leading digit) must use the bracket form.
    private static bool IsShorthandName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Finds the names a person probably meant, for "did you mean" hints.</summary>
internal static class NearNames
{
    /// <summary>At most this many suggestions: more is a list, not a hint.</summary>
    private const int MaxSuggestions = 3;

    /// <summary>Candidates within a small edit distance of <paramref name="wanted"/>, closest first.</summary>
    public static List<string> Find(string wanted, IEnumerable<string> candidates)
    {
        // One edit per three characters catches typos and case slips without suggesting unrelated short names.
        var limit = Math.Max(1, wanted.Length / 3);
        var found = new List<(int Distance, string Name)>();
        foreach (var candidate in candidates)
        {
            var distance = Distance(wanted.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (candidate != wanted && distance <= limit)
            {
                found.Add((distance, candidate));
            }
        }

        found.Sort((a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : string.CompareOrdinal(a.Name, b.Name));
        return [.. found.Take(MaxSuggestions).Select(f => f.Name)];
    }

    /// <summary>Ends a message: "; did you mean \"x\"?" when there are near names, else ".".</summary>
    public static string Hint(string wanted, IEnumerable<string> candidates)
    {
        var near = Find(wanted, candidates);
        return near.Count switch
        {
            0 => ".",
            1 => $"; did you mean \"{near[0]}\"?",
            _ => $"; did you mean one of {JsonPaths.QuoteList(near)}?",
        };
    }

    // Edit distance counting a swap of neighbours as one edit ("widht" → "width"), the commonest
    // typo in hand-written names; three rows, and names are short, so the cold path stays cheap.
    private static int Distance(string a, string b)
    {
        var twoBack = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var best = Math.Min(previous[j - 1] + cost, Math.Min(previous[j], current[j - 1]) + 1);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    best = Math.Min(best, twoBack[j - 2] + 1);
                }

                current[j] = best;
            }

            (twoBack, previous, current) = (previous, current, twoBack);
        }

        return previous[b.Length];
    }
}
