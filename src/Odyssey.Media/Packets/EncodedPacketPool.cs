using System.Numerics;

namespace Odyssey.Media;

/// <summary>
/// Keeps released packets for reuse, binned by power-of-two capacity, so a steady stream allocates
/// nothing per packet. Thread-safe. <see cref="Outstanding"/> counts packets rented and not yet returned.
/// </summary>
public sealed class EncodedPacketPool
{
    /// <summary>Packets kept per capacity bin; as for frames, more idle than this is a burst's leftovers.</summary>
    public const int DefaultRetainedPerBin = 64;

    /// <summary>The smallest capacity handed out: tiny packets (P-frames of a still scene) share one bin.</summary>
    private const int MinimumCapacity = 4096;

    // Bins by log2 of capacity; 31 covers every int length.
    private const int BinCount = 32;

    private readonly IdleBin<EncodedPacket>[] _bins = new IdleBin<EncodedPacket>[BinCount];
    private readonly int _retainedPerBin;
    private long _outstanding;
    private long _allocated;

    /// <summary>Creates a pool that keeps up to <paramref name="retainedPerBin"/> idle packets per capacity.</summary>
    public EncodedPacketPool(int retainedPerBin = DefaultRetainedPerBin)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retainedPerBin);
        _retainedPerBin = retainedPerBin;
        for (var i = 0; i < BinCount; i++)
        {
            _bins[i] = new IdleBin<EncodedPacket>();
        }
    }

    /// <summary>The process-wide pool readers use unless given their own.</summary>
    public static EncodedPacketPool Shared { get; } = new();

    /// <summary>Packets rented and not yet released back.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>Packets this pool has ever allocated (not reused).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>Rents a packet with one reference and <paramref name="length"/> bytes of (unset) data.</summary>
    public EncodedPacket Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Array.MaxLength / 2);
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(length + EncodedPacket.PaddingSize, MinimumCapacity));
        if (!_bins[BitOperations.Log2((uint)capacity)].TryTake(out var packet))
        {
            packet = new EncodedPacket(this, GC.AllocateUninitializedArray<byte>(capacity, pinned: true));
            Interlocked.Increment(ref _allocated);
        }

        packet.Revive(length);
        Interlocked.Increment(ref _outstanding);
        return packet;
    }

    internal void Return(EncodedPacket packet)
    {
        Interlocked.Decrement(ref _outstanding);
        _bins[BitOperations.Log2((uint)(packet.Capacity + EncodedPacket.PaddingSize))].Offer(packet, _retainedPerBin);
    }
}
