using System.Text;

namespace Odyssey.Runner.Output;

/// <summary>Left-aligned text columns sized to their widest cell; numbers are right-aligned.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public void WriteTo(StringBuilder builder)
    {
        var widths = new int[headers.Length];
        for (var c = 0; c < headers.Length; c++)
        {
            widths[c] = headers[c].Length;
            foreach (var row in _rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }

        WriteRow(builder, headers, widths);
        foreach (var row in _rows)
        {
            WriteRow(builder, row, widths);
        }
    }

    private static void WriteRow(StringBuilder builder, string[] cells, int[] widths)
    {
        for (var c = 0; c < cells.Length; c++)
        {
            var numeric = cells[c].Length > 0 && (char.IsDigit(cells[c][0]) || cells[c][0] == '-') && c > 0;
            builder.Append(numeric ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
            builder.Append(c + 1 < cells.Length ? "  " : "");
        }

        builder.AppendLine();
    }
}
