using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.Sctp;

/// <summary>
/// Two associations joined by an in-memory link that can lose, duplicate and reorder packets with a seeded
/// Random; everything runs on the test's thread against a <see cref="ManualTime"/>, so runs are repeatable.
/// </summary>
internal sealed class SctpTestPair : IAsyncDisposable
{
    // Bounds the work of one run so a protocol bug fails the test instead of spinning forever.
    private const int MaxSteps = 2_000_000;

    private readonly List<byte[]> _toA = [];
    private readonly List<byte[]> _toB = [];
    private readonly Random _random;

    public SctpTestPair(int seed = 1, SctpAssociationOptions? optionsA = null, SctpAssociationOptions? optionsB = null)
    {
        _random = new Random(seed);
        A = new SctpAssociation((optionsA ?? new SctpAssociationOptions()) with { Time = Time }, packet => Enqueue(_toB, packet, fromA: true));
        B = new SctpAssociation((optionsB ?? new SctpAssociationOptions()) with { Time = Time }, packet => Enqueue(_toA, packet, fromA: false));
        A.MessageReceived += (stream, ppid, payload) => ReceivedByA.Add((stream, ppid, payload.ToArray()));
        B.MessageReceived += (stream, ppid, payload) => ReceivedByB.Add((stream, ppid, payload.ToArray()));
    }

    public ManualTime Time { get; } = new();

    public SctpAssociation A { get; }

    public SctpAssociation B { get; }

    public List<(ushort Stream, uint Ppid, byte[] Payload)> ReceivedByA { get; } = [];

    public List<(ushort Stream, uint Ppid, byte[] Payload)> ReceivedByB { get; } = [];

    /// <summary>Chance that a packet is lost, duplicated, or overtaken by the next one.</summary>
    public double Loss { get; set; }

    public double Duplicate { get; set; }

    public double Reorder { get; set; }

    /// <summary>When set, packets from A (or from B) for which it returns true are dropped.</summary>
    public Func<byte[], bool>? DropFromA { get; set; }

    public Func<byte[], bool>? DropFromB { get; set; }

    /// <summary>Sees every packet just before B receives it (after loss and reordering).</summary>
    public Action<byte[]>? DeliveringToB { get; set; }

    public long PacketsFromA { get; private set; }

    public long PacketsFromB { get; private set; }

    /// <summary>A starts (client role), B answers (server role), as aiortc does.</summary>
    public void Connect(bool bothStart = false)
    {
        var a = A.ConnectAsync();
        var b = bothStart ? B.ConnectAsync() : Task.CompletedTask;
        RunUntil(() => A.State == SctpAssociationState.Established && B.State == SctpAssociationState.Established);
        Assert.True(a.IsCompletedSuccessfully);
        Assert.True(b.IsCompletedSuccessfully);
    }

    /// <summary>Delivers packets and fires timers until <paramref name="done"/> holds; fails if the link goes quiet first or a virtual hour passes.</summary>
    public void RunUntil(Func<bool> done, TimeSpan? virtualLimit = null)
    {
        var limit = virtualLimit ?? TimeSpan.FromHours(1);
        for (var step = 0; step < MaxSteps; step++)
        {
            if (done())
            {
                return;
            }

            if (_toA.Count == 0 && _toB.Count == 0)
            {
                if (!Time.FireNext())
                {
                    Assert.Fail($"link idle with no timer armed before the condition held (A {A.State} {A.AbortReason}, B {B.State} {B.AbortReason})");
                }

                if (Time.Elapsed > limit)
                {
                    Assert.Fail($"condition not met within {limit} of virtual time (A {A.State}, B {B.State})");
                }

                continue;
            }

            // Alternate directions so both sides make progress.
            if (_toB.Count > 0 && (step % 2 == 0 || _toA.Count == 0))
            {
                var packet = _toB[0];
                _toB.RemoveAt(0);
                DeliveringToB?.Invoke(packet);
                B.ReceivePacket(packet);
            }
            else
            {
                var packet = _toA[0];
                _toA.RemoveAt(0);
                A.ReceivePacket(packet);
            }
        }

        Assert.Fail("step limit reached");
    }

    /// <summary>Delivers what is in flight and fires due timers for <paramref name="duration"/> of virtual time.</summary>
    public void RunFor(TimeSpan duration)
    {
        var end = Time.Elapsed + duration;
        RunUntil(() => _toA.Count == 0 && _toB.Count == 0 && Time.Elapsed >= end, end + TimeSpan.FromHours(1));
    }

    /// <summary>Delivers packets and fires timers for up to <paramref name="duration"/> of virtual time, whatever the states; never fails.</summary>
    public void Settle(TimeSpan duration)
    {
        var end = Time.Elapsed + duration;
        for (var step = 0; step < MaxSteps; step++)
        {
            if (_toB.Count > 0)
            {
                var packet = _toB[0];
                _toB.RemoveAt(0);
                DeliveringToB?.Invoke(packet);
                B.ReceivePacket(packet);
            }
            else if (_toA.Count > 0)
            {
                var packet = _toA[0];
                _toA.RemoveAt(0);
                A.ReceivePacket(packet);
            }
            else if (Time.Elapsed >= end || !Time.FireNext())
            {
                return;
            }
        }

        Assert.Fail("step limit reached while settling");
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }

    private void Enqueue(List<byte[]> queue, ReadOnlySpan<byte> packet, bool fromA)
    {
        var copy = packet.ToArray();
        if (fromA)
        {
            PacketsFromA++;
            if (DropFromA?.Invoke(copy) == true)
            {
                return;
            }
        }
        else
        {
            PacketsFromB++;
            if (DropFromB?.Invoke(copy) == true)
            {
                return;
            }
        }

        if (Loss > 0 && _random.NextDouble() < Loss)
        {
            return;
        }

        var at = queue.Count;
        if (Reorder > 0 && at > 0 && _random.NextDouble() < Reorder)
        {
            at -= 1 + _random.Next(Math.Min(at, 3));
        }

        queue.Insert(at, copy);
        if (Duplicate > 0 && _random.NextDouble() < Duplicate)
        {
            queue.Add(copy);
        }
    }
}
