using Odyssey.Pipeline;

namespace Odyssey.Runner.Output;

/// <summary>
/// Shows a run's progress while it goes: on a terminal, the summary table redrawn in place;
/// otherwise one plain line per interval, so CI logs show progress without control codes.
/// </summary>
internal sealed class ProgressReporter : IAsyncDisposable
{
    /// <summary>Twice a second reads as live without costing the pipeline anything measurable.</summary>
    private static readonly TimeSpan LiveRefresh = TimeSpan.FromMilliseconds(500);

    private readonly PipelineExecution _execution;
    private readonly TextWriter _writer;
    private readonly bool _live;
    private readonly CancellationTokenSource _done = new();
    private readonly Task _loop;
    private readonly Lock _drawing = new();
    private int _linesDrawn;

    public ProgressReporter(PipelineExecution execution, TextWriter writer, bool live, TimeSpan plainInterval)
    {
        _execution = execution;
        _writer = writer;
        _live = live;
        _loop = RunAsync(live ? LiveRefresh : plainInterval);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_done.IsCancellationRequested)
        {
            await _done.CancelAsync().ConfigureAwait(false);
        }

        await _loop.ConfigureAwait(false);
        lock (_drawing)
        {
            Erase();
        }

        _done.Dispose();
    }

    /// <summary>Writes a line above the live table (or among the plain lines) without garbling either.</summary>
    public void Note(string line)
    {
        lock (_drawing)
        {
            Erase();
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_done.Token).ConfigureAwait(false))
            {
                var snapshot = _execution.Snapshot();
                lock (_drawing)
                {
                    if (_live)
                    {
                        Erase();
                        var table = SummaryTable.Format(snapshot);
                        _linesDrawn = table.Count(c => c == '\n');
                        _writer.Write(table);
                    }
                    else
                    {
                        _writer.WriteLine(SummaryTable.FormatLine(snapshot));
                    }

                    _writer.Flush();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended; the caller prints the final table.
        }
    }

    private void Erase()
    {
        if (_live && _linesDrawn > 0)
        {
            // ANSI: back to column 0 (a typed ^C may have moved the cursor), up over the last table, clear below.
            _writer.Write($"\r\u001b[{_linesDrawn}A\u001b[J");
            _linesDrawn = 0;
        }
    }
}
