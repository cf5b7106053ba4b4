using BenchmarkDotNet.Attributes;
using Odyssey.Media;
using Odyssey.Pipeline.Blocks;

namespace Odyssey.Benchmarks;

/// <summary>
/// The trigger's per-record cost: it reads the rule's field from the record's JSON form (how any record,
/// plugin ones too, exposes its values), so this is a serialise-and-scan per analysis record. A record of
/// another kind is the cheap path. Steady state should allocate nothing.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class TriggerBenchmarks
{
    private readonly TriggerBlock _trigger = new(new TriggerOptions { When = "motion.movingFraction < 0.01 for 3 s", Prompt = "something moves" });
    private readonly MotionRecord _moving = new() { Block = "motion", FrameIndex = 1, Pts = TimeSpan.FromSeconds(1), MeanDifference = 12.5, MovingFraction = 0.2 };
    private readonly PromptRecord _other = new() { Block = "other", FrameIndex = 1, Prompt = "p" };

    [Benchmark]
    public AnalysisRecord? MatchingKind() => _trigger.TransformAsync(_moving, CancellationToken.None).Result;

    [Benchmark]
    public AnalysisRecord? OtherKind() => _trigger.TransformAsync(_other, CancellationToken.None).Result;
}
