using System.Buffers.Binary;

namespace Odyssey.WebRtc.Sctp;

/// <summary>
/// Writes one SCTP packet into the caller's buffer: the common header, then chunks appended in order,
/// each padded with zeros to 4 bytes; <see cref="Finish"/> fills the CRC32c. Allocates nothing.
/// </summary>
public ref struct SctpPacketWriter
{
    private const int ParameterHeaderSize = 4;

    private readonly Span<byte> _buffer;
    private int _length;

    /// <summary>Starts a packet with the given common header fields.</summary>
    public SctpPacketWriter(Span<byte> buffer, ushort sourcePort, ushort destinationPort, uint verificationTag)
    {
        if (buffer.Length < SctpPacket.CommonHeaderSize)
        {
            throw new ArgumentException($"buffer of {buffer.Length} bytes cannot hold the SCTP common header", nameof(buffer));
        }

        _buffer = buffer;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], verificationTag);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], 0);
        _length = SctpPacket.CommonHeaderSize;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Length => _length;

    /// <summary>Appends a chunk with an opaque value: COOKIE-ECHO, COOKIE-ACK, SHUTDOWN-ACK, ABORT, ERROR, unknown types.</summary>
    public void WriteChunk(byte type, byte flags, scoped ReadOnlySpan<byte> value)
    {
        value.CopyTo(BeginChunk(type, flags, value.Length, "chunk"));
        EndChunk(value.Length);
    }

    /// <summary>Appends a DATA chunk.</summary>
    public void WriteData(byte flags, uint tsn, ushort streamId, ushort streamSequence, uint ppid, scoped ReadOnlySpan<byte> userData)
    {
        var size = SctpDataChunk.FixedSize + userData.Length;
        var value = BeginChunk(SctpChunkType.Data, flags, size, "DATA");
        BinaryPrimitives.WriteUInt32BigEndian(value, tsn);
        BinaryPrimitives.WriteUInt16BigEndian(value[4..], streamId);
        BinaryPrimitives.WriteUInt16BigEndian(value[6..], streamSequence);
        BinaryPrimitives.WriteUInt32BigEndian(value[8..], ppid);
        userData.CopyTo(value[SctpDataChunk.FixedSize..]);
        EndChunk(size);
    }

    /// <summary>
    /// Appends an INIT (or INIT-ACK when <paramref name="ack"/>) with the parameters data channels use;
    /// an empty <paramref name="stateCookie"/> or <paramref name="supportedExtensions"/> is left out.
    /// </summary>
    public void WriteInit(bool ack, uint initiateTag, uint advertisedWindow, ushort outboundStreams, ushort inboundStreams, uint initialTsn,
        scoped ReadOnlySpan<byte> stateCookie, bool forwardTsnSupported, scoped ReadOnlySpan<byte> supportedExtensions)
    {
        var size = SctpInitChunk.FixedSize
            + ParameterSize(stateCookie.Length, !stateCookie.IsEmpty)
            + ParameterSize(0, forwardTsnSupported)
            + ParameterSize(supportedExtensions.Length, !supportedExtensions.IsEmpty);

        // The chunk length counts inner parameters' padding but not the last one's (RFC 9260 §3.2).
        var lastValue = !supportedExtensions.IsEmpty ? supportedExtensions.Length : forwardTsnSupported ? 0 : stateCookie.Length;
        size -= SctpPacket.Pad4(ParameterHeaderSize + lastValue) - (ParameterHeaderSize + lastValue);
        var value = BeginChunk(ack ? SctpChunkType.InitAck : SctpChunkType.Init, 0, size, ack ? "INIT-ACK" : "INIT");
        BinaryPrimitives.WriteUInt32BigEndian(value, initiateTag);
        BinaryPrimitives.WriteUInt32BigEndian(value[4..], advertisedWindow);
        BinaryPrimitives.WriteUInt16BigEndian(value[8..], outboundStreams);
        BinaryPrimitives.WriteUInt16BigEndian(value[10..], inboundStreams);
        BinaryPrimitives.WriteUInt32BigEndian(value[12..], initialTsn);
        var at = SctpInitChunk.FixedSize;
        if (!stateCookie.IsEmpty)
        {
            at += PutParameter(value[at..], SctpParameterType.StateCookie, stateCookie);
        }

        if (forwardTsnSupported)
        {
            at += PutParameter(value[at..], SctpParameterType.ForwardTsnSupported, default);
        }

        if (!supportedExtensions.IsEmpty)
        {
            PutParameter(value[at..], SctpParameterType.SupportedExtensions, supportedExtensions);
        }

        EndChunk(size);
    }

    /// <summary>Appends a SACK.</summary>
    public void WriteSack(uint cumulativeTsnAck, uint advertisedWindow, scoped ReadOnlySpan<SctpGapBlock> gapBlocks, scoped ReadOnlySpan<uint> duplicates)
    {
        if (gapBlocks.Length > ushort.MaxValue || duplicates.Length > ushort.MaxValue)
        {
            throw new ArgumentException("a SACK carries at most 65535 gap blocks and 65535 duplicate TSNs");
        }

        var size = SctpSackChunk.FixedSize + (4 * gapBlocks.Length) + (4 * duplicates.Length);
        var value = BeginChunk(SctpChunkType.Sack, 0, size, "SACK");
        BinaryPrimitives.WriteUInt32BigEndian(value, cumulativeTsnAck);
        BinaryPrimitives.WriteUInt32BigEndian(value[4..], advertisedWindow);
        BinaryPrimitives.WriteUInt16BigEndian(value[8..], (ushort)gapBlocks.Length);
        BinaryPrimitives.WriteUInt16BigEndian(value[10..], (ushort)duplicates.Length);
        var at = SctpSackChunk.FixedSize;
        foreach (var block in gapBlocks)
        {
            BinaryPrimitives.WriteUInt16BigEndian(value[at..], block.Start);
            BinaryPrimitives.WriteUInt16BigEndian(value[(at + 2)..], block.End);
            at += 4;
        }

        foreach (var tsn in duplicates)
        {
            BinaryPrimitives.WriteUInt32BigEndian(value[at..], tsn);
            at += 4;
        }

        EndChunk(size);
    }

    /// <summary>Appends a HEARTBEAT (or HEARTBEAT-ACK when <paramref name="ack"/>) carrying <paramref name="info"/>.</summary>
    public void WriteHeartbeat(bool ack, scoped ReadOnlySpan<byte> info)
    {
        var size = ParameterHeaderSize + info.Length;
        var value = BeginChunk(ack ? SctpChunkType.HeartbeatAck : SctpChunkType.Heartbeat, 0, size, "HEARTBEAT");
        PutParameter(value, SctpParameterType.HeartbeatInfo, info);
        EndChunk(size);
    }

    /// <summary>Appends a SHUTDOWN.</summary>
    public void WriteShutdown(uint cumulativeTsnAck)
    {
        var value = BeginChunk(SctpChunkType.Shutdown, 0, 4, "SHUTDOWN");
        BinaryPrimitives.WriteUInt32BigEndian(value, cumulativeTsnAck);
        EndChunk(4);
    }

    /// <summary>Appends a FORWARD-TSN.</summary>
    public void WriteForwardTsn(uint newCumulativeTsn, scoped ReadOnlySpan<SctpForwardTsnStream> streams)
    {
        var size = SctpForwardTsnChunk.FixedSize + (4 * streams.Length);
        var value = BeginChunk(SctpChunkType.ForwardTsn, 0, size, "FORWARD-TSN");
        BinaryPrimitives.WriteUInt32BigEndian(value, newCumulativeTsn);
        var at = SctpForwardTsnChunk.FixedSize;
        foreach (var stream in streams)
        {
            BinaryPrimitives.WriteUInt16BigEndian(value[at..], stream.StreamId);
            BinaryPrimitives.WriteUInt16BigEndian(value[(at + 2)..], stream.StreamSequence);
            at += 4;
        }

        EndChunk(size);
    }

    /// <summary>Appends a RE-CONFIG chunk with one outgoing SSN reset request (RFC 6525 §4.1); no streams means all.</summary>
    public void WriteOutgoingSsnResetRequest(uint requestSequence, uint responseSequence, uint senderLastTsn, scoped ReadOnlySpan<ushort> streams)
    {
        var parameterLength = ParameterHeaderSize + 12 + (2 * streams.Length);
        var size = parameterLength;
        var value = BeginChunk(SctpChunkType.ReConfig, 0, size, "RE-CONFIG");
        PutParameterHeader(value, SctpParameterType.OutgoingSsnResetRequest, parameterLength);
        BinaryPrimitives.WriteUInt32BigEndian(value[4..], requestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(value[8..], responseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(value[12..], senderLastTsn);
        PutStreams(value[16..], streams);
        EndChunk(size);
    }

    /// <summary>Appends a RE-CONFIG chunk with one incoming SSN reset request (RFC 6525 §4.2); no streams means all.</summary>
    public void WriteIncomingSsnResetRequest(uint requestSequence, scoped ReadOnlySpan<ushort> streams)
    {
        var parameterLength = ParameterHeaderSize + 4 + (2 * streams.Length);
        var size = parameterLength;
        var value = BeginChunk(SctpChunkType.ReConfig, 0, size, "RE-CONFIG");
        PutParameterHeader(value, SctpParameterType.IncomingSsnResetRequest, parameterLength);
        BinaryPrimitives.WriteUInt32BigEndian(value[4..], requestSequence);
        PutStreams(value[8..], streams);
        EndChunk(size);
    }

    /// <summary>Appends a RE-CONFIG chunk with one re-configuration response (RFC 6525 §4.4).</summary>
    public void WriteReConfigResponse(uint responseSequence, uint result)
    {
        var size = ParameterHeaderSize + 8;
        var value = BeginChunk(SctpChunkType.ReConfig, 0, size, "RE-CONFIG");
        PutParameterHeader(value, SctpParameterType.ReConfigResponse, size);
        BinaryPrimitives.WriteUInt32BigEndian(value[4..], responseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(value[8..], result);
        EndChunk(size);
    }

    /// <summary>Fills the checksum and returns the packet's length.</summary>
    public readonly int Finish()
    {
        SctpPacket.WriteChecksum(_buffer[.._length]);
        return _length;
    }

    // Bytes a parameter occupies inside its chunk, padding included (the chunk's length leaves out the last one's).
    private static int ParameterSize(int valueLength, bool present) => present ? SctpPacket.Pad4(ParameterHeaderSize + valueLength) : 0;

    private static void PutParameterHeader(Span<byte> destination, ushort type, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)length);
    }

    private static int PutParameter(Span<byte> destination, ushort type, ReadOnlySpan<byte> value)
    {
        PutParameterHeader(destination, type, ParameterHeaderSize + value.Length);
        value.CopyTo(destination[ParameterHeaderSize..]);
        var padded = ParameterSize(value.Length, true);
        destination[(ParameterHeaderSize + value.Length)..padded].Clear();
        return padded;
    }

    private static void PutStreams(Span<byte> destination, ReadOnlySpan<ushort> streams)
    {
        for (var i = 0; i < streams.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[(2 * i)..], streams[i]);
        }

        destination[(2 * streams.Length)..].Clear();
    }

    private readonly Span<byte> BeginChunk(byte type, byte flags, int valueLength, string name)
    {
        var chunkLength = SctpPacket.ChunkHeaderSize + valueLength;
        if (chunkLength > ushort.MaxValue)
        {
            throw new ArgumentException($"{name} chunk of {chunkLength} bytes exceeds the 16-bit chunk length");
        }

        if (_length + SctpPacket.Pad4(chunkLength) > _buffer.Length)
        {
            throw new ArgumentException($"{name} chunk of {chunkLength} bytes does not fit: {_buffer.Length - _length} bytes left in the buffer");
        }

        var header = _buffer[_length..];
        header[0] = type;
        header[1] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)chunkLength);
        return _buffer.Slice(_length + SctpPacket.ChunkHeaderSize, SctpPacket.Pad4(chunkLength) - SctpPacket.ChunkHeaderSize);
    }

    private void EndChunk(int valueLength)
    {
        var chunkLength = SctpPacket.ChunkHeaderSize + valueLength;
        _buffer[(_length + chunkLength)..(_length + SctpPacket.Pad4(chunkLength))].Clear();
        _length += SctpPacket.Pad4(chunkLength);
    }
}
