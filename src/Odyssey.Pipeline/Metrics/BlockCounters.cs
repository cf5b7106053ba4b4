using System.Diagnostics;

namespace Odyssey.Pipeline;

/// <summary>
/// Live figures of one running block, updated on the per-item path and read by
/// <see cref="PipelineExecution.Snapshot"/> and the <see cref="PipelineMeter"/> instruments.
/// </summary>
/// <remarks>
/// Items in and out have one writer at a time (the block's loop, or the one caller a port allows at
/// a time), so they are plain increments published with a volatile write: an atomic add per item per
/// hop was a measurable part of the hop cost. Errors and discards are rare and may come from any
/// thread, so they stay atomic; so do the histogram buckets, which parallel workers share.
/// </remarks>
internal sealed class BlockCounters
{
    /// <summary>
    /// The shortest window the rate is measured over: the runner snapshots about once a second, and a
    /// shorter window would show scheduling noise rather than throughput.
    /// </summary>
    private static readonly long RateWindowTicks = Stopwatch.Frequency;

    /// <summary>
    /// Items faster than this are only sampled: reading the clock costs about 30 ns here, twice per
    /// item, which doubled the cost of a pass-through hop. 10 µs keeps that under 1 % for any item timed.
    /// </summary>
    private static readonly long FastItemTicks = Stopwatch.Frequency / 100_000;

    /// <summary>
    /// While items are fast, one in this many is timed: still over a thousand samples a second (enough
    /// for p99) at any rate where sampling applies (over 100 000 items/s). 16 left the clock reads at
    /// 3 % of a pass-through chain's CPU in a profile; 64 makes them negligible.
    /// </summary>
    private const int FastItemSampleEvery = 64;

    private readonly PipelineMeter _meter;
    private readonly KeyValuePair<string, object?> _tag;
    private readonly Lock _rateLock = new();
    private readonly long _startTicks = Stopwatch.GetTimestamp();
    private long _itemsIn;
    private long _itemsOut;
    private long _errors;
    private long _discarded;
    private long _windowStartTicks;
    private long _windowStartCount;
    private double _lastRate = double.NaN;

    // Sampling state: racy under parallel workers, which only makes the sample slightly irregular.
    private bool _itemsAreFast;
    private int _untimed;

    public BlockCounters(string name, string type, bool rateCountsInputs, PipelineMeter meter)
    {
        Name = name;
        Type = type;
        RateCountsInputs = rateCountsInputs;
        _meter = meter;
        _tag = new KeyValuePair<string, object?>(PipelineMeter.BlockTag, name);
        _windowStartTicks = _startTicks;
    }

    public string Name { get; }

    public string Type { get; }

    /// <summary>True for sinks, whose throughput is what they take in.</summary>
    public bool RateCountsInputs { get; }

    public LatencyHistogram Processing { get; } = new();

    public KeyValuePair<string, object?> Tag => _tag;

    public long ItemsIn => Volatile.Read(ref _itemsIn);

    public long ItemsOut => Volatile.Read(ref _itemsOut);

    public long Errors => Interlocked.Read(ref _errors);

    public long Discarded => Interlocked.Read(ref _discarded);

    public void CountIn() => Volatile.Write(ref _itemsIn, _itemsIn + 1);

    public void CountOut() => Volatile.Write(ref _itemsOut, _itemsOut + 1);

    public void CountError() => Interlocked.Increment(ref _errors);

    public void CountDiscarded() => Interlocked.Increment(ref _discarded);

    /// <summary>
    /// Call before the block handles an item: a clock reading to pass to <see cref="RecordProcessing"/>,
    /// or 0 when this item is not timed (see <see cref="FastItemTicks"/>).
    /// </summary>
    public long StartTiming()
    {
        if (_itemsAreFast && ++_untimed < FastItemSampleEvery)
        {
            return 0;
        }

        _untimed = 0;
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Records the time one item spent inside the block, from <see cref="StartTiming"/>'s reading.</summary>
    public void RecordProcessing(long startTicks)
    {
        if (startTicks == 0)
        {
            return;
        }

        var elapsed = Stopwatch.GetTimestamp() - startTicks;
        _itemsAreFast = elapsed < FastItemTicks;
        Processing.Record(elapsed);
        var instrument = _meter.ProcessingTime;
        if (instrument.Enabled)
        {
            instrument.Record(elapsed * 1000.0 / Stopwatch.Frequency, _tag);
        }
    }

    /// <summary>
    /// Items per second over the window since the previous measurement, once that window is at
    /// least <see cref="RateWindowTicks"/> long; until then, the previous figure (or the average so far).
    /// </summary>
    public double ItemsPerSecond()
    {
        var count = RateCountsInputs ? ItemsIn : ItemsOut;
        var now = Stopwatch.GetTimestamp();
        lock (_rateLock)
        {
            var elapsed = now - _windowStartTicks;
            if (elapsed >= RateWindowTicks)
            {
                _lastRate = (count - _windowStartCount) * (double)Stopwatch.Frequency / elapsed;
                _windowStartTicks = now;
                _windowStartCount = count;
            }

            if (double.IsNaN(_lastRate))
            {
                var sinceStart = now - _startTicks;
                return sinceStart <= 0 ? 0 : count * (double)Stopwatch.Frequency / sinceStart;
            }

            return _lastRate;
        }
    }

    public BlockMetrics ToMetrics()
    {
        var toMs = 1000.0 / Stopwatch.Frequency;
        return new BlockMetrics
        {
            Name = Name,
            Type = Type,
            ItemsIn = ItemsIn,
            ItemsOut = ItemsOut,
            ItemsPerSecond = ItemsPerSecond(),
            ProcessingP50Ms = Processing.Percentile(0.50) * toMs,
            ProcessingP99Ms = Processing.Percentile(0.99) * toMs,
            Errors = Errors,
            ItemsDiscarded = Discarded,
        };
    }
}
