namespace Odyssey.Emulator.Streaming;

/// <summary>
/// When each recent frame index of one session was handed to the network, for latency measurements (the
/// frame carries its index in the picture; this gives its send time). A ring: the last
/// <see cref="Capacity"/> frames are kept, about two minutes at 30 fps.
/// </summary>
internal sealed class FrameSendTimes
{
    public const int Capacity = 4096;

    private readonly Lock _gate = new();
    private readonly long[] _indices = new long[Capacity];
    private readonly long[] _utcTicks = new long[Capacity];

    public FrameSendTimes() => Array.Fill(_indices, -1);

    public void Record(long index, DateTimeOffset sentAt)
    {
        var slot = (int)(index % Capacity);
        lock (_gate)
        {
            _indices[slot] = index;
            _utcTicks[slot] = sentAt.UtcTicks;
        }
    }

    public bool TryGet(long index, out DateTimeOffset sentAt)
    {
        sentAt = default;
        if (index < 0)
        {
            return false;
        }

        var slot = (int)(index % Capacity);
        lock (_gate)
        {
            if (_indices[slot] != index)
            {
                return false;
            }

            sentAt = new DateTimeOffset(_utcTicks[slot], TimeSpan.Zero);
            return true;
        }
    }
}
