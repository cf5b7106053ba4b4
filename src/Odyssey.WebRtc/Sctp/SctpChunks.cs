using System.Buffers.Binary;

namespace Odyssey.WebRtc.Sctp;

/// <summary>Shared checks for the typed chunk views.</summary>
internal static class ChunkCheck
{
    public static void Require(in SctpChunk chunk, byte type, int minimumValue, string name)
    {
        if (chunk.Type != type)
        {
            throw new SctpParseException(SctpError.WrongChunkType, chunk.Offset, $"chunk type {chunk.Type} read as {name}");
        }

        if (chunk.Value.Length < minimumValue)
        {
            throw new SctpParseException(SctpError.Truncated, chunk.Offset + 2, $"{name} chunk value of {chunk.Value.Length} bytes, needs {minimumValue}");
        }
    }

    public static void RequireParameters(in SctpChunk chunk, int parametersStart, string name)
    {
        if (!SctpParameterEnumerator.Validate(chunk.Value[parametersStart..], out var offset))
        {
            throw new SctpParseException(SctpError.BadLength, chunk.Offset + SctpPacket.ChunkHeaderSize + parametersStart + offset, $"{name} parameter length");
        }
    }
}

/// <summary>A DATA chunk (RFC 9260 §3.3.1).</summary>
public readonly ref struct SctpDataChunk
{
    /// <summary>Bytes of the DATA fields before the user data.</summary>
    public const int FixedSize = 12;

    /// <summary>I bit: the receiver should SACK at once (RFC 7053).</summary>
    public const byte ImmediateFlag = 0x08;

    /// <summary>U bit: unordered delivery.</summary>
    public const byte UnorderedFlag = 0x04;

    /// <summary>B bit: first fragment of a message.</summary>
    public const byte BeginningFlag = 0x02;

    /// <summary>E bit: last fragment of a message.</summary>
    public const byte EndingFlag = 0x01;

    private readonly ReadOnlySpan<byte> _value;

    private SctpDataChunk(byte flags, ReadOnlySpan<byte> value)
    {
        Flags = flags;
        _value = value;
    }

    /// <summary>Chunk flags (I, U, B, E).</summary>
    public byte Flags { get; }

    /// <summary>U bit.</summary>
    public bool Unordered => (Flags & UnorderedFlag) != 0;

    /// <summary>B bit.</summary>
    public bool Beginning => (Flags & BeginningFlag) != 0;

    /// <summary>E bit.</summary>
    public bool Ending => (Flags & EndingFlag) != 0;

    /// <summary>Transmission sequence number.</summary>
    public uint Tsn => BinaryPrimitives.ReadUInt32BigEndian(_value);

    /// <summary>Stream identifier.</summary>
    public ushort StreamId => BinaryPrimitives.ReadUInt16BigEndian(_value[4..]);

    /// <summary>Stream sequence number.</summary>
    public ushort StreamSequence => BinaryPrimitives.ReadUInt16BigEndian(_value[6..]);

    /// <summary>Payload protocol identifier (see <see cref="DcepPpid"/>).</summary>
    public uint Ppid => BinaryPrimitives.ReadUInt32BigEndian(_value[8..]);

    /// <summary>The user data.</summary>
    public ReadOnlySpan<byte> UserData => _value[FixedSize..];

    /// <summary>Reads <paramref name="chunk"/> as DATA; throws <see cref="SctpParseException"/> otherwise.</summary>
    public static SctpDataChunk Read(in SctpChunk chunk)
    {
        ChunkCheck.Require(chunk, SctpChunkType.Data, FixedSize, "DATA");
        return new SctpDataChunk(chunk.Flags, chunk.Value);
    }
}

/// <summary>An INIT or INIT-ACK chunk (RFC 9260 §3.3.2, §3.3.3).</summary>
public readonly ref struct SctpInitChunk
{
    /// <summary>Bytes of the fixed fields before the parameters.</summary>
    public const int FixedSize = 16;

    private readonly ReadOnlySpan<byte> _value;

    private SctpInitChunk(bool isAck, ReadOnlySpan<byte> value)
    {
        IsAck = isAck;
        _value = value;
    }

    /// <summary>True for INIT-ACK.</summary>
    public bool IsAck { get; }

    /// <summary>The tag the peer wants in the verification tag of packets sent to it.</summary>
    public uint InitiateTag => BinaryPrimitives.ReadUInt32BigEndian(_value);

    /// <summary>Advertised receiver window credit.</summary>
    public uint AdvertisedWindow => BinaryPrimitives.ReadUInt32BigEndian(_value[4..]);

    /// <summary>Number of outbound streams.</summary>
    public ushort OutboundStreams => BinaryPrimitives.ReadUInt16BigEndian(_value[8..]);

    /// <summary>Number of inbound streams.</summary>
    public ushort InboundStreams => BinaryPrimitives.ReadUInt16BigEndian(_value[10..]);

    /// <summary>Initial TSN.</summary>
    public uint InitialTsn => BinaryPrimitives.ReadUInt32BigEndian(_value[12..]);

    /// <summary>The optional and variable-length parameters.</summary>
    public SctpParameterEnumerator Parameters => new(_value[FixedSize..]);

    /// <summary>True when a Forward-TSN-Supported parameter is present (RFC 3758 §3.1).</summary>
    public bool ForwardTsnSupported => TryGetParameter(SctpParameterType.ForwardTsnSupported, out _);

    /// <summary>The state cookie of an INIT-ACK; false when absent.</summary>
    public bool TryGetStateCookie(out ReadOnlySpan<byte> cookie) => TryGetParameter(SctpParameterType.StateCookie, out cookie);

    /// <summary>The chunk types listed in a Supported Extensions parameter; false when absent.</summary>
    public bool TryGetSupportedExtensions(out ReadOnlySpan<byte> chunkTypes) => TryGetParameter(SctpParameterType.SupportedExtensions, out chunkTypes);

    /// <summary>The first parameter of <paramref name="type"/>; false when absent.</summary>
    public bool TryGetParameter(ushort type, out ReadOnlySpan<byte> value)
    {
        foreach (var parameter in Parameters)
        {
            if (parameter.Type == type)
            {
                value = parameter.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>Reads <paramref name="chunk"/> as INIT or INIT-ACK; throws <see cref="SctpParseException"/> otherwise.</summary>
    public static SctpInitChunk Read(in SctpChunk chunk)
    {
        var isAck = chunk.Type == SctpChunkType.InitAck;
        ChunkCheck.Require(chunk, isAck ? SctpChunkType.InitAck : SctpChunkType.Init, FixedSize, isAck ? "INIT-ACK" : "INIT");
        ChunkCheck.RequireParameters(chunk, FixedSize, isAck ? "INIT-ACK" : "INIT");
        return new SctpInitChunk(isAck, chunk.Value);
    }
}

/// <summary>A gap ack block of a SACK: TSN offsets from the cumulative TSN ack, both inclusive.</summary>
/// <param name="Start">Offset of the first TSN received in the block.</param>
/// <param name="End">Offset of the last TSN received in the block.</param>
public readonly record struct SctpGapBlock(ushort Start, ushort End);

/// <summary>A SACK chunk (RFC 9260 §3.3.4).</summary>
public readonly ref struct SctpSackChunk
{
    /// <summary>Bytes of the fixed fields before the gap blocks.</summary>
    public const int FixedSize = 12;

    private readonly ReadOnlySpan<byte> _value;

    private SctpSackChunk(ReadOnlySpan<byte> value) => _value = value;

    /// <summary>Cumulative TSN ack.</summary>
    public uint CumulativeTsnAck => BinaryPrimitives.ReadUInt32BigEndian(_value);

    /// <summary>Advertised receiver window credit.</summary>
    public uint AdvertisedWindow => BinaryPrimitives.ReadUInt32BigEndian(_value[4..]);

    /// <summary>Number of gap ack blocks.</summary>
    public int GapBlockCount => BinaryPrimitives.ReadUInt16BigEndian(_value[8..]);

    /// <summary>Number of duplicate TSNs.</summary>
    public int DuplicateCount => BinaryPrimitives.ReadUInt16BigEndian(_value[10..]);

    /// <summary>The gap block at <paramref name="index"/>.</summary>
    public SctpGapBlock GetGapBlock(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, GapBlockCount);
        var at = FixedSize + (4 * index);
        return new SctpGapBlock(BinaryPrimitives.ReadUInt16BigEndian(_value[at..]), BinaryPrimitives.ReadUInt16BigEndian(_value[(at + 2)..]));
    }

    /// <summary>The duplicate TSN at <paramref name="index"/>.</summary>
    public uint GetDuplicate(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, DuplicateCount);
        return BinaryPrimitives.ReadUInt32BigEndian(_value[(FixedSize + (4 * GapBlockCount) + (4 * index))..]);
    }

    /// <summary>Reads <paramref name="chunk"/> as SACK; throws <see cref="SctpParseException"/> otherwise.</summary>
    public static SctpSackChunk Read(in SctpChunk chunk)
    {
        ChunkCheck.Require(chunk, SctpChunkType.Sack, FixedSize, "SACK");
        var value = chunk.Value;
        var needed = FixedSize + (4 * BinaryPrimitives.ReadUInt16BigEndian(value[8..])) + (4 * BinaryPrimitives.ReadUInt16BigEndian(value[10..]));
        if (value.Length < needed)
        {
            throw new SctpParseException(SctpError.BadLength, chunk.Offset + SctpPacket.ChunkHeaderSize + 8, $"SACK announces {needed} bytes of blocks but has {value.Length}");
        }

        return new SctpSackChunk(value);
    }
}

/// <summary>A stream and sequence pair of a FORWARD-TSN.</summary>
/// <param name="StreamId">Stream identifier.</param>
/// <param name="StreamSequence">Largest stream sequence number skipped on it.</param>
public readonly record struct SctpForwardTsnStream(ushort StreamId, ushort StreamSequence);

/// <summary>A FORWARD-TSN chunk (RFC 3758 §3.2).</summary>
public readonly ref struct SctpForwardTsnChunk
{
    /// <summary>Bytes of the new cumulative TSN field.</summary>
    public const int FixedSize = 4;

    private readonly ReadOnlySpan<byte> _value;

    private SctpForwardTsnChunk(ReadOnlySpan<byte> value) => _value = value;

    /// <summary>The new cumulative TSN.</summary>
    public uint NewCumulativeTsn => BinaryPrimitives.ReadUInt32BigEndian(_value);

    /// <summary>Number of stream entries.</summary>
    public int StreamCount => (_value.Length - FixedSize) / 4;

    /// <summary>The stream entry at <paramref name="index"/>.</summary>
    public SctpForwardTsnStream GetStream(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, StreamCount);
        var at = FixedSize + (4 * index);
        return new SctpForwardTsnStream(BinaryPrimitives.ReadUInt16BigEndian(_value[at..]), BinaryPrimitives.ReadUInt16BigEndian(_value[(at + 2)..]));
    }

    /// <summary>Reads <paramref name="chunk"/> as FORWARD-TSN; throws <see cref="SctpParseException"/> otherwise.</summary>
    public static SctpForwardTsnChunk Read(in SctpChunk chunk)
    {
        ChunkCheck.Require(chunk, SctpChunkType.ForwardTsn, FixedSize, "FORWARD-TSN");
        if ((chunk.Value.Length - FixedSize) % 4 != 0)
        {
            throw new SctpParseException(SctpError.BadLength, chunk.Offset + 2, "FORWARD-TSN stream list is not whole 4-byte entries");
        }

        return new SctpForwardTsnChunk(chunk.Value);
    }
}

/// <summary>
/// The parameters of a RE-CONFIG chunk (RFC 6525 §3.1) and readers for the request and response
/// parameters data channels use.
/// </summary>
public static class SctpReConfig
{
    /// <summary>Result "success - performed" of a re-configuration response (RFC 6525 §4.4).</summary>
    public const uint ResultPerformed = 1;

    /// <summary>Result "in progress" (RFC 6525 §4.4).</summary>
    public const uint ResultInProgress = 6;

    /// <summary>The parameters of a RE-CONFIG chunk; throws <see cref="SctpParseException"/> for another type or broken lengths.</summary>
    public static SctpParameterEnumerator ReadParameters(in SctpChunk chunk)
    {
        ChunkCheck.Require(chunk, SctpChunkType.ReConfig, 4, "RE-CONFIG");
        ChunkCheck.RequireParameters(chunk, 0, "RE-CONFIG");
        return new SctpParameterEnumerator(chunk.Value);
    }
}

/// <summary>An outgoing (RFC 6525 §4.1) or incoming (§4.2) SSN reset request parameter.</summary>
public readonly ref struct SctpSsnResetRequest
{
    private readonly ReadOnlySpan<byte> _streams;

    private SctpSsnResetRequest(bool outgoing, uint requestSequence, uint responseSequence, uint lastTsn, ReadOnlySpan<byte> streams)
    {
        IsOutgoing = outgoing;
        RequestSequence = requestSequence;
        ResponseSequence = responseSequence;
        SenderLastTsn = lastTsn;
        _streams = streams;
    }

    /// <summary>True for an outgoing request (type 13), false for incoming (type 14).</summary>
    public bool IsOutgoing { get; }

    /// <summary>Re-configuration request sequence number.</summary>
    public uint RequestSequence { get; }

    /// <summary>Response sequence number (outgoing requests only, else 0).</summary>
    public uint ResponseSequence { get; }

    /// <summary>Sender's last assigned TSN (outgoing requests only, else 0).</summary>
    public uint SenderLastTsn { get; }

    /// <summary>Number of streams listed; zero means all streams.</summary>
    public int StreamCount => _streams.Length / 2;

    /// <summary>The stream at <paramref name="index"/>.</summary>
    public ushort GetStream(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, StreamCount);
        return BinaryPrimitives.ReadUInt16BigEndian(_streams[(2 * index)..]);
    }

    /// <summary>Reads <paramref name="parameter"/>; throws <see cref="SctpParseException"/> when it is not a reset request.</summary>
    public static SctpSsnResetRequest Read(in SctpParameter parameter)
    {
        var value = parameter.Value;
        var outgoing = parameter.Type == SctpParameterType.OutgoingSsnResetRequest;
        if (!outgoing && parameter.Type != SctpParameterType.IncomingSsnResetRequest)
        {
            throw new SctpParseException(SctpError.WrongChunkType, parameter.Offset, $"parameter type {parameter.Type} read as an SSN reset request");
        }

        var fixedSize = outgoing ? 12 : 4;
        if (value.Length < fixedSize || (value.Length - fixedSize) % 2 != 0)
        {
            throw new SctpParseException(SctpError.BadLength, parameter.Offset + 2, $"SSN reset request value of {value.Length} bytes");
        }

        return outgoing
            ? new SctpSsnResetRequest(true, BinaryPrimitives.ReadUInt32BigEndian(value), BinaryPrimitives.ReadUInt32BigEndian(value[4..]), BinaryPrimitives.ReadUInt32BigEndian(value[8..]), value[12..])
            : new SctpSsnResetRequest(false, BinaryPrimitives.ReadUInt32BigEndian(value), 0, 0, value[4..]);
    }
}

/// <summary>A re-configuration response parameter (RFC 6525 §4.4); the optional TSNs are not used by data channels.</summary>
/// <param name="ResponseSequence">The request sequence number being answered.</param>
/// <param name="Result">The result code (see <see cref="SctpReConfig"/>).</param>
public readonly record struct SctpReConfigResponse(uint ResponseSequence, uint Result)
{
    /// <summary>Reads <paramref name="parameter"/>; throws <see cref="SctpParseException"/> when it is not a response.</summary>
    public static SctpReConfigResponse Read(in SctpParameter parameter)
    {
        if (parameter.Type != SctpParameterType.ReConfigResponse)
        {
            throw new SctpParseException(SctpError.WrongChunkType, parameter.Offset, $"parameter type {parameter.Type} read as a re-configuration response");
        }

        var value = parameter.Value;
        if (value.Length != 8 && value.Length != 16)
        {
            throw new SctpParseException(SctpError.BadLength, parameter.Offset + 2, $"re-configuration response value of {value.Length} bytes");
        }

        return new SctpReConfigResponse(BinaryPrimitives.ReadUInt32BigEndian(value), BinaryPrimitives.ReadUInt32BigEndian(value[4..]));
    }
}

/// <summary>Readers for the chunks whose value is one field or a list of TLVs.</summary>
public static class SctpSimpleChunks
{
    /// <summary>T bit of ABORT and SHUTDOWN-COMPLETE: the verification tag is the sender's own (RFC 9260 §3.3.7).</summary>
    public const byte TagReflectedFlag = 0x01;

    /// <summary>The cumulative TSN ack of a SHUTDOWN chunk.</summary>
    public static uint ReadShutdownCumulativeTsn(in SctpChunk chunk)
    {
        ChunkCheck.Require(chunk, SctpChunkType.Shutdown, 4, "SHUTDOWN");
        return BinaryPrimitives.ReadUInt32BigEndian(chunk.Value);
    }

    /// <summary>The heartbeat information of a HEARTBEAT or HEARTBEAT-ACK (the value of its info parameter).</summary>
    public static ReadOnlySpan<byte> ReadHeartbeatInfo(in SctpChunk chunk)
    {
        var ack = chunk.Type == SctpChunkType.HeartbeatAck;
        ChunkCheck.Require(chunk, ack ? SctpChunkType.HeartbeatAck : SctpChunkType.Heartbeat, 4, "HEARTBEAT");
        ChunkCheck.RequireParameters(chunk, 0, "HEARTBEAT");
        foreach (var parameter in new SctpParameterEnumerator(chunk.Value))
        {
            if (parameter.Type == SctpParameterType.HeartbeatInfo)
            {
                return parameter.Value;
            }
        }

        throw new SctpParseException(SctpError.BadLength, chunk.Offset + SctpPacket.ChunkHeaderSize, "HEARTBEAT without heartbeat info parameter");
    }

    /// <summary>The error causes of an ABORT or ERROR chunk.</summary>
    public static SctpParameterEnumerator ReadErrorCauses(in SctpChunk chunk)
    {
        if (chunk.Type != SctpChunkType.Abort && chunk.Type != SctpChunkType.Error)
        {
            throw new SctpParseException(SctpError.WrongChunkType, chunk.Offset, $"chunk type {chunk.Type} read as ABORT or ERROR");
        }

        ChunkCheck.RequireParameters(chunk, 0, "error cause");
        return new SctpParameterEnumerator(chunk.Value);
    }
}
