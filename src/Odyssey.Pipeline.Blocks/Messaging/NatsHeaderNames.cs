namespace Odyssey.Pipeline.Blocks;

/// <summary>
/// The NATS message headers the <c>nats</c> sink writes and the <c>nats</c> source reads: one place, so
/// producer and consumer cannot drift apart. Consumers in other languages read the same names.
/// </summary>
public static class NatsHeaderNames
{
    /// <summary>The run that produced the message (<see cref="BlockContext.RunId"/>; a job id under a worker).</summary>
    public const string RunId = "Odyssey-Run-Id";

    /// <summary>The block that produced the record (the analysis block), or the sink for thumbnails.</summary>
    public const string Block = "Odyssey-Block";

    /// <summary>Index of the frame the record or thumbnail is about.</summary>
    public const string FrameIndex = "Odyssey-Frame-Index";

    /// <summary>The record's kind ("motion", "brightness", …); "thumbnail" for JPEG thumbnails.</summary>
    public const string Kind = "Odyssey-Kind";

    /// <summary>Present (value "true") on the empty message a sink sends when its input ends.</summary>
    public const string End = "Odyssey-End";

    /// <summary>Standard MIME type header, so generic tools can show the payload.</summary>
    public const string ContentType = "Content-Type";
}
