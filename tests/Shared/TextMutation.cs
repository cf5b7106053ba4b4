using System.Text;

namespace Odyssey.Tests;

/// <summary>
/// Character-level edits for parser property tests (pipeline JSON, SDP): each edit deletes, doubles,
/// inserts or overwrites one character, so a valid sample turns into the near-misses a parser meets.
/// </summary>
internal static class TextMutation
{
    /// <summary>How many edit kinds <see cref="Apply"/> knows: generate kinds in [0, KindCount - 1].</summary>
    public const int KindCount = 4;

    /// <summary>Applies <paramref name="edits"/> in order; positions wrap around the current length.</summary>
    public static string Apply(string text, (int Kind, int Position, char Char)[] edits)
    {
        var builder = new StringBuilder(text);
        foreach (var (kind, position, c) in edits)
        {
            if (builder.Length == 0)
            {
                builder.Append(c);
                continue;
            }

            var at = position % builder.Length;
            switch (kind)
            {
                case 0:
                    builder.Remove(at, 1);
                    break;
                case 1:
                    builder.Insert(at, builder[at]);
                    break;
                case 2:
                    builder.Insert(at, c);
                    break;
                default:
                    builder[at] = c;
                    break;
            }
        }

        return builder.ToString();
    }
}
