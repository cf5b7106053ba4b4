using System.Buffers;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="ReportSinkBlock"/>.</summary>
public sealed class ReportSinkOptions
{
    /// <summary>The run directory: records, thumbnails, graph, metrics and the report go here.</summary>
    [Description("Run directory: the report, its records, thumbnails, graph.json and metrics.json are written here (relative to the working directory).")]
    [Required]
    public required string Directory { get; init; }

    /// <summary>The report's file name inside the directory.</summary>
    [Description("File name of the HTML report inside the directory.")]
    public string File { get; init; } = RunDirectory.ReportFile;

    /// <summary>Also keep a thumbnail every N frames (0 = only at scene cuts); interactions show the nearest.</summary>
    [Description("Also keep a thumbnail every N frames (0 = only at scene cuts); interactions in the report show the first at or after them.")]
    [Range(0, int.MaxValue)]
    public int ThumbnailEvery { get; init; } = 30;

    /// <summary>Thumbnail width in pixels.</summary>
    [Description("Thumbnail width in pixels (never scaled up).")]
    [Range(16, 4096)]
    public int ThumbnailWidth { get; init; } = 240;
}

/// <summary>
/// Writes the run's HTML report when the run ends (<see cref="RunReport"/>): records arriving on
/// <c>records</c> are kept as <c>report-records.jsonl</c>, frames on <c>frames</c> give thumbnails at
/// scene cuts (and every N frames), and at the end the graph and final metrics are saved beside them,
/// so <c>odyssey-pipeline report DIR</c> can render the same report again later.
/// </summary>
[Block(TypeName, Description = "Writes a self-contained HTML report of the run (graph, metrics, plots, thumbnails) when it ends.")]
[Input("records", typeof(AnalysisRecord), Required = false)]
[Input("frames", typeof(VideoFrame), Required = false)]
public sealed class ReportSinkBlock(ReportSinkOptions options) : CustomBlock<ReportSinkOptions>(options), IRunEndedObserver
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "report";

    /// <summary>The records this block keeps, beside any other JSONL in the directory.</summary>
    public const string RecordsFile = "report-records.jsonl";

    /// <summary>
    /// Recent frames held so a cut reported after its frame passed still gets a thumbnail: the analysis
    /// path can be two links of 8 queued items plus a block behind the frames, with room to spare.
    /// </summary>
    private const int RecentFrames = 32;

    /// <summary>Good enough to recognise a scene; small enough to inline dozens in one HTML file.</summary>
    private const int ThumbnailQuality = 80;

    private const int InitialLineCapacity = 4096;

    private readonly Lock _lock = new();
    private readonly VideoFrame?[] _recent = new VideoFrame?[RecentFrames];
    private readonly HashSet<long> _wanted = [];
    private readonly FrameImages _images = new();
    private readonly ArrayBufferWriter<byte> _line = new(InitialLineCapacity);
    private int _nextSlot;
    private long _newestFrame = -1;
    private string _directory = "";
    private string _thumbnails = "";
    private FileStream? _records;
    private Utf8JsonWriter? _writer;
    private bool _started;

    /// <summary>Thumbnails written so far.</summary>
    public long ThumbnailsWritten { get; private set; }

    /// <summary>Cuts whose frame had already left the recent frames, or never came: no thumbnail.</summary>
    public long ThumbnailsMissed { get; private set; }

    /// <summary>The written report's full path, once the run ended.</summary>
    public string? ReportPath { get; private set; }

    /// <inheritdoc />
    protected override ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _directory = Context.ResolvePath(Options.Directory);
        _thumbnails = Path.Combine(_directory, RunDirectory.ThumbnailsFolder);
        System.IO.Directory.CreateDirectory(_thumbnails);

        // Thumbnails of an earlier run into the same directory would show up beside this run's cuts.
        foreach (var stale in System.IO.Directory.EnumerateFiles(_thumbnails, "frame-*.jpg"))
        {
            System.IO.File.Delete(stale);
        }

        _records = new FileStream(Path.Combine(_directory, RecordsFile), FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _writer = new Utf8JsonWriter(_line);
        _started = true;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(ReadRecordsAsync(cancellationToken), ReadFramesAsync(cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            ReleaseRecent();
        }
    }

    /// <inheritdoc />
    public async ValueTask RunEndedAsync(PipelineResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        CloseRecords();
        if (!_started)
        {
            // Another block failed to start before this one: there is no run directory to describe.
            return;
        }

        if (Context.Pipeline is { } pipeline)
        {
            await RunDirectory.WriteGraphAsync(_directory, pipeline).ConfigureAwait(false);
        }

        await RunDirectory.WriteMetricsAsync(Path.Combine(_directory, RunDirectory.MetricsFile), result).ConfigureAwait(false);
        ReportPath = await RunReport.WriteAsync(_directory, Path.Combine(_directory, Options.File)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        CloseRecords();
        ReleaseRecent();
        _images.Dispose();
        return base.DisposeAsync();
    }

    private async Task ReadRecordsAsync(CancellationToken cancellationToken)
    {
        var input = Context.GetInput<AnalysisRecord>("records");
        while (await input.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (input.TryRead(out var record))
            {
                WriteRecord(record);
                if (record is SceneChangeRecord { Cut: true })
                {
                    OnCut(record.FrameIndex);
                }
            }
        }
    }

    private async Task ReadFramesAsync(CancellationToken cancellationToken)
    {
        var input = Context.GetInput<VideoFrame>("frames");
        while (await input.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (input.TryRead(out var frame))
            {
                try
                {
                    OnFrame(frame);
                }
                finally
                {
                    frame.Release();
                }
            }
        }
    }

    private void WriteRecord(AnalysisRecord record)
    {
        _line.ResetWrittenCount();
        _writer!.Reset(_line);
        record.WriteTo(_writer);
        _writer.Flush();
        _line.GetSpan(1)[0] = (byte)'\n';
        _line.Advance(1);
        _records!.Write(_line.WrittenSpan);
    }

    private void OnFrame(VideoFrame frame)
    {
        lock (_lock)
        {
            _newestFrame = Math.Max(_newestFrame, frame.Index);
            if (_wanted.Remove(frame.Index) || (Options.ThumbnailEvery > 0 && frame.Index % Options.ThumbnailEvery == 0))
            {
                SaveThumbnail(frame);
            }

            // Kept with a reference of its own; the engine releases the one it lent.
            frame.AddRef();
            _recent[_nextSlot]?.Release();
            _recent[_nextSlot] = frame;
            _nextSlot = (_nextSlot + 1) % RecentFrames;
        }
    }

    private void OnCut(long index)
    {
        lock (_lock)
        {
            foreach (var frame in _recent)
            {
                if (frame is not null && frame.Index == index)
                {
                    SaveThumbnail(frame);
                    return;
                }
            }

            if (index > _newestFrame)
            {
                _wanted.Add(index);
            }
            else
            {
                ThumbnailsMissed++;
            }
        }
    }

    private void SaveThumbnail(VideoFrame frame)
    {
        var path = Path.Combine(_thumbnails, RunDirectory.ThumbnailName(frame.Index));
        if (System.IO.File.Exists(path))
        {
            return;
        }

        var jpeg = _images.EncodeJpeg(frame, Context.FramePool, Options.ThumbnailWidth, ThumbnailQuality);
        var partial = path + ".partial";
        System.IO.File.WriteAllBytes(partial, jpeg);
        System.IO.File.Move(partial, path, overwrite: true);
        ThumbnailsWritten++;
    }

    private void ReleaseRecent()
    {
        lock (_lock)
        {
            ThumbnailsMissed += _wanted.Count;
            _wanted.Clear();
            for (var i = 0; i < _recent.Length; i++)
            {
                _recent[i]?.Release();
                _recent[i] = null;
            }
        }
    }

    private void CloseRecords()
    {
        _writer?.Dispose();
        _writer = null;
        _records?.Dispose();
        _records = null;
    }
}
