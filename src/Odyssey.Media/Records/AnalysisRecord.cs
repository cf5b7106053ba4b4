using System.Text.Json;

namespace Odyssey.Media;

/// <summary>
/// A measurement about one frame, produced by an analysis block and written by record sinks.
/// Serialises itself with <see cref="WriteTo"/>, so sinks need no reflection and no per-record
/// serializer state.
/// </summary>
public abstract class AnalysisRecord
{
    /// <summary>What was measured ("motion", "brightness", …): the producing block's type.</summary>
    public abstract string Kind { get; }

    /// <summary>Name of the block that produced the record.</summary>
    public required string Block { get; init; }

    /// <summary>Index of the measured frame (<see cref="VideoFrame.Index"/>).</summary>
    public required long FrameIndex { get; init; }

    /// <summary>Presentation timestamp of the measured frame.</summary>
    public TimeSpan Pts { get; init; }

    /// <summary>Wall-clock capture time of the measured frame.</summary>
    public DateTimeOffset CaptureTime { get; init; }

    /// <summary>Writes the record as one JSON object: the common fields, then <see cref="WriteValues"/>.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("kind", Kind);
        writer.WriteString("block", Block);
        writer.WriteNumber("frame", FrameIndex);
        writer.WriteNumber("ptsMs", Pts.TotalMilliseconds);
        writer.WriteString("captureTime", CaptureTime);
        WriteValues(writer);
        writer.WriteEndObject();
    }

    /// <summary>Writes the measurement's own properties into the open object.</summary>
    protected abstract void WriteValues(Utf8JsonWriter writer);
}
