using System.Text.Json;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// A stream event of the <c>odyssey</c> source, on its <c>events</c> port: <c>connected</c>, <c>started</c>,
/// <c>acknowledged</c>, <c>stream-error</c>, <c>error</c>, <c>disconnected</c>, <c>reconnecting</c>,
/// <c>reconnected</c>, <c>frames-dropped</c> (the pipeline fell behind the live stream), <c>ended</c>. <see cref="AnalysisRecord.FrameIndex"/> is the index of the next frame
/// the source writes, so an event sits between the frames it happened between.
/// </summary>
public sealed class OdysseyEventRecord : AnalysisRecord
{
    /// <inheritdoc />
    public override string Kind => OdysseySourceBlock.TypeName;

    /// <summary>What happened (see the class summary).</summary>
    public required string Event { get; init; }

    /// <summary>1 for the first stream, 2 after the first reconnect, …</summary>
    public int Stream { get; init; }

    /// <summary>The service's stream id, once started.</summary>
    public string? StreamId { get; init; }

    /// <summary>The prompt: applied at start, acknowledged by an interaction, or the one that failed.</summary>
    public string? Prompt { get; init; }

    /// <summary>Where a prompt came from: <c>start</c>, <c>script</c> or <c>interact</c> (the feedback port).</summary>
    public string? Origin { get; init; }

    /// <summary>The error's reason code (§5/§9) or exception type.</summary>
    public string? Reason { get; init; }

    /// <summary>The error's text.</summary>
    public string? Message { get; init; }

    /// <inheritdoc />
    protected override void WriteValues(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteString("event", Event);
        writer.WriteNumber("stream", Stream);
        WriteIfSet(writer, "streamId", StreamId);
        WriteIfSet(writer, "prompt", Prompt);
        WriteIfSet(writer, "origin", Origin);
        WriteIfSet(writer, "reason", Reason);
        WriteIfSet(writer, "message", Message);
    }

    private static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}

/// <summary>A prompt a <c>trigger</c> block decided to send; the <c>odyssey</c> source's <c>interact</c> port sends it.</summary>
public sealed class PromptRecord : AnalysisRecord
{
    /// <inheritdoc />
    public override string Kind => TriggerBlock.TypeName;

    /// <summary>The prompt to send.</summary>
    public required string Prompt { get; init; }

    /// <summary>The rule that fired, as written.</summary>
    public string Rule { get; init; } = "";

    /// <summary>The value that met the rule.</summary>
    public double Value { get; init; }

    /// <inheritdoc />
    protected override void WriteValues(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteString("prompt", Prompt);
        writer.WriteString("rule", Rule);
        writer.WriteNumber("value", Value);
    }
}
