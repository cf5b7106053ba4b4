using System.Buffers.Binary;

namespace Odyssey.WebRtc.Sctp;

/// <summary>
/// One type-length-value parameter (RFC 9260 §3.2.1) or error cause (§3.3.10): both share the layout.
/// </summary>
public readonly ref struct SctpParameter
{
    internal SctpParameter(ushort type, ReadOnlySpan<byte> value, int offset)
    {
        Type = type;
        Value = value;
        Offset = offset;
    }

    /// <summary>Parameter type (see <see cref="SctpParameterType"/>) or cause code.</summary>
    public ushort Type { get; }

    /// <summary>The value after the 4-byte header, padding excluded.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>Byte offset of the parameter header within the span it was read from.</summary>
    public int Offset { get; }

    /// <summary>What to do if the type is unknown: its upper two bits (RFC 9260 §3.2.1).</summary>
    public SctpUnknownAction UnknownAction => (SctpUnknownAction)(Type >> 14);
}

/// <summary>Walks TLV parameters or error causes already validated; allocates nothing.</summary>
public ref struct SctpParameterEnumerator
{
    private const int HeaderSize = 4;

    private readonly ReadOnlySpan<byte> _data;
    private int _next;

    internal SctpParameterEnumerator(ReadOnlySpan<byte> data)
    {
        _data = data;
        _next = 0;
        Current = default;
    }

    /// <summary>The parameter at the enumerator's position.</summary>
    public SctpParameter Current { get; private set; }

    /// <summary>Supports <c>foreach</c>.</summary>
    public readonly SctpParameterEnumerator GetEnumerator() => this;

    /// <summary>Moves to the next parameter; false after the last.</summary>
    public bool MoveNext()
    {
        if (_next >= _data.Length)
        {
            return false;
        }

        var offset = _next;
        var length = BinaryPrimitives.ReadUInt16BigEndian(_data[(offset + 2)..]);
        Current = new SctpParameter(BinaryPrimitives.ReadUInt16BigEndian(_data[offset..]), _data.Slice(offset + HeaderSize, length - HeaderSize), offset);
        _next = Math.Min(_data.Length, offset + SctpPacket.Pad4(length));
        return true;
    }

    /// <summary>Checks that <paramref name="data"/> is a whole sequence of TLVs; on failure the offset of the bad field.</summary>
    internal static bool Validate(ReadOnlySpan<byte> data, out int errorOffset)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            if (offset + HeaderSize > data.Length)
            {
                errorOffset = offset;
                return false;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            if (length < HeaderSize || offset + length > data.Length)
            {
                errorOffset = offset + 2;
                return false;
            }

            offset = Math.Min(data.Length, offset + SctpPacket.Pad4(length));
        }

        errorOffset = 0;
        return true;
    }
}
