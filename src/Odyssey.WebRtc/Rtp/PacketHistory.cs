namespace Odyssey.WebRtc.Rtp;

/// <summary>
/// The last <c>capacity</c> packets sent, by sequence number, so that a NACK can be answered with a
/// retransmission. Each slot owns a buffer the packet is written into directly: nothing is copied
/// or allocated per packet.
/// </summary>
internal sealed class PacketHistory
{
    private readonly byte[][] _buffers;
    private readonly int[] _lengths;
    private readonly int[] _sequences;
    private readonly TimeSpan[] _lastRetransmission;
    private readonly int _mask;

    public PacketHistory(int capacity, int packetSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 16);
        if ((capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "packet history capacity must be a power of two");
        }

        _buffers = new byte[capacity][];
        for (var i = 0; i < capacity; i++)
        {
            _buffers[i] = new byte[packetSize];
        }

        _lengths = new int[capacity];
        _sequences = new int[capacity];
        _sequences.AsSpan().Fill(-1);
        _lastRetransmission = new TimeSpan[capacity];
        _mask = capacity - 1;
    }

    /// <summary>The buffer the packet with <paramref name="sequence"/> is to be written into (evicting the oldest).</summary>
    public Span<byte> Reserve(ushort sequence)
    {
        var index = sequence & _mask;
        _sequences[index] = -1;
        return _buffers[index];
    }

    /// <summary>Records that <paramref name="length"/> bytes of packet <paramref name="sequence"/> were written.</summary>
    public void Commit(ushort sequence, int length)
    {
        var index = sequence & _mask;
        _sequences[index] = sequence;
        _lengths[index] = length;
        _lastRetransmission[index] = TimeSpan.MinValue;
    }

    /// <summary>The stored packet <paramref name="sequence"/>, if still held.</summary>
    public bool TryGet(ushort sequence, out ReadOnlySpan<byte> packet)
    {
        var index = sequence & _mask;
        if (_sequences[index] != sequence)
        {
            packet = default;
            return false;
        }

        packet = _buffers[index].AsSpan(0, _lengths[index]);
        return true;
    }

    /// <summary>
    /// True (and records the time) when packet <paramref name="sequence"/> is held and was not
    /// retransmitted within <paramref name="minInterval"/>: one NACK storm yields one retransmission.
    /// </summary>
    public bool TryMarkRetransmitted(ushort sequence, TimeSpan now, TimeSpan minInterval)
    {
        var index = sequence & _mask;
        if (_sequences[index] != sequence)
        {
            return false;
        }

        if (_lastRetransmission[index] != TimeSpan.MinValue && now - _lastRetransmission[index] < minInterval)
        {
            return false;
        }

        _lastRetransmission[index] = now;
        return true;
    }
}
