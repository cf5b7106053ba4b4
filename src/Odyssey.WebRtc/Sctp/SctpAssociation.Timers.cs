namespace Odyssey.WebRtc.Sctp;

/// <summary>The association's timers: one platform timer armed for the earliest of several deadlines.</summary>
internal sealed partial class SctpAssociation
{
    private readonly long[] _deadlines = new long[(int)TimerSlot.Count];
    private long _armedAt = long.MaxValue;

    private enum TimerSlot
    {
        // T1-init / T1-cookie (RFC 9260 §5.1).
        T1,

        // T2-shutdown (§9.2).
        T2,

        // T3-rtx (§6.3).
        T3,

        // Delayed SACK (§6.2).
        Sack,

        // HEARTBEAT on an idle path (§8.3).
        Heartbeat,

        // RE-CONFIG request retransmission (RFC 6525 §5.1.1).
        ReConfig,

        Count,
    }

    private void ArmLocked(TimerSlot slot, long deadline) => _deadlines[(int)slot] = deadline;

    private void DisarmLocked(TimerSlot slot) => _deadlines[(int)slot] = long.MaxValue;

    private bool IsArmed(TimerSlot slot) => _deadlines[(int)slot] != long.MaxValue;

    // Points the platform timer at the earliest deadline; a callback that fires early or late re-checks the deadlines, so races are harmless.
    private void ScheduleLocked()
    {
        if (_disposed)
        {
            return;
        }

        var earliest = long.MaxValue;
        foreach (var deadline in _deadlines)
        {
            earliest = Math.Min(earliest, deadline);
        }

        if (earliest == _armedAt)
        {
            return;
        }

        _armedAt = earliest;
        _timer.Change(earliest == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromTicks(Math.Max(0, earliest - Now)), Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _armedAt = long.MaxValue;
            var now = Now;
            for (var slot = (TimerSlot)0; slot < TimerSlot.Count; slot++)
            {
                if (_deadlines[(int)slot] <= now)
                {
                    _deadlines[(int)slot] = long.MaxValue;
                    OnTimerLocked(slot, now);
                }
            }

            ScheduleLocked();
        }

        DrainEvents();
    }

    private void OnTimerLocked(TimerSlot slot, long now)
    {
        switch (slot)
        {
            case TimerSlot.T1:
                OnT1Locked(now);
                break;
            case TimerSlot.T2:
                OnT2Locked(now);
                break;
            case TimerSlot.T3:
                OnT3Locked(now);
                break;
            case TimerSlot.Sack:
                if (_state is SctpAssociationState.Established or SctpAssociationState.ShuttingDown)
                {
                    _sackRequired = true;
                    TransmitLocked();
                }

                break;
            case TimerSlot.Heartbeat:
                OnHeartbeatLocked(now);
                break;
            case TimerSlot.ReConfig:
                OnReConfigTimerLocked(now);
                break;
        }
    }
}
