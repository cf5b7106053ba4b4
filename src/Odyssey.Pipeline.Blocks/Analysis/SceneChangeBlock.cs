using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="SceneChangeBlock"/>.</summary>
public sealed class SceneChangeOptions
{
    /// <summary>A distance at or above this marks a cut.</summary>
    [Description("Histogram distance (0 = same, 1 = disjoint) at or above which a frame is a cut.")]
    [Range(0.0, 1.0)]
    public double Threshold { get; init; } = 0.5;

    /// <summary>Luma histogram bins compared; fewer bins tolerate small brightness shifts.</summary>
    [Description("Luma histogram bins compared (fewer bins tolerate small brightness shifts).")]
    [Range(2, 256)]
    public int Bins { get; init; } = 64;
}

/// <summary>How far a frame's luma distribution moved from the previous frame's.</summary>
public sealed class SceneChangeRecord : AnalysisRecord
{
    /// <inheritdoc />
    public override string Kind => SceneChangeBlock.TypeName;

    /// <summary>Bhattacharyya distance between the luma histograms, 0 (same) .. 1 (disjoint).</summary>
    public double Distance { get; init; }

    /// <summary>True when <see cref="Distance"/> reached the threshold.</summary>
    public bool Cut { get; init; }

    /// <inheritdoc />
    protected override void WriteValues(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumber("distance", Distance);
        writer.WriteBoolean("cut", Cut);
    }
}

/// <summary>
/// Detects cuts from the Bhattacharyya distance of consecutive luma histograms: one record per frame;
/// the first frame has no predecessor and reports distance 0.
/// </summary>
[Block(TypeName, Description = "Histogram distance to the previous frame; flags cuts above a threshold.")]
public sealed class SceneChangeBlock(SceneChangeOptions options) : TransformBlock<VideoFrame, AnalysisRecord, SceneChangeOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "sceneChange";

    private readonly LumaHistogram _histogram = new();
    private long[] _current = [];
    private long[] _previous = [];
    private long _previousTotal;

    /// <inheritdoc />
    protected override ValueTask<AnalysisRecord?> TransformAsync(VideoFrame input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_current.Length != Options.Bins)
        {
            _current = new long[Options.Bins];
            _previous = new long[Options.Bins];
        }

        _histogram.Count(input, Context.FramePool);
        _histogram.Fold(_current);
        var distance = _previousTotal == 0 ? 0 : Bhattacharyya(_previous, _previousTotal, _current, _histogram.Total);
        (_previous, _current) = (_current, _previous);
        _previousTotal = _histogram.Total;
        return ValueTask.FromResult<AnalysisRecord?>(new SceneChangeRecord
        {
            Block = Name,
            FrameIndex = input.Index,
            Pts = input.Pts,
            CaptureTime = input.CaptureTime,
            Distance = distance,
            Cut = distance >= Options.Threshold,
        });
    }

    /// <summary>sqrt(1 − Σ sqrt(p·q)) over the normalised histograms: the form OpenCV's HISTCMP_BHATTACHARYYA computes.</summary>
    internal static double Bhattacharyya(ReadOnlySpan<long> first, long firstTotal, ReadOnlySpan<long> second, long secondTotal)
    {
        double coefficient = 0;
        for (var bin = 0; bin < first.Length; bin++)
        {
            coefficient += Math.Sqrt((double)first[bin] * second[bin]);
        }

        coefficient /= Math.Sqrt((double)firstTotal * secondTotal);
        return Math.Sqrt(Math.Max(0, 1 - coefficient));
    }
}
