namespace Odyssey.WebRtc.Sdp;

/// <summary>SDP text that cannot be read: names the 1-based line and the field (e.g. <c>a=rtpmap payload type</c>).</summary>
public sealed class SdpParseException : FormatException
{
    public SdpParseException()
        : this("invalid SDP", 0, string.Empty)
    {
    }

    public SdpParseException(string message)
        : this(message, 0, string.Empty)
    {
    }

    public SdpParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
    }

    public SdpParseException(string problem, int lineNumber, string field)
        : base(lineNumber > 0 ? $"SDP line {lineNumber}, {field}: {problem}" : $"SDP, {field}: {problem}")
    {
        LineNumber = lineNumber;
        Field = field;
    }

    /// <summary>1-based line number; 0 when the problem is the text as a whole (e.g. a missing <c>o=</c>).</summary>
    public int LineNumber { get; }

    /// <summary>The line type or attribute and the part of it that is wrong.</summary>
    public string Field { get; }
}
