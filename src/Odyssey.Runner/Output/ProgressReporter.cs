using Odyssey.Pipeline;

namespace Odyssey.Runner.Output;

/// <summary>
/// Shows a run's progress while it goes: on a terminal, the summary table redrawn in place;
/// otherwise one plain line per interval, so CI logs show progress without control codes.
/// </summary>
internal sealed class ProgressReporter : IDisposable, IAsyncDisposable
{
    /// <summary>Twice a second reads as live without costing the pipeline anything measurable.</summary>
    private static readonly TimeSpan LiveRefresh = TimeSpan.FromMilliseconds(500);

    private readonly PipelineExecution _execution;
    private readonly TextWriter _writer;
    private readonly bool _live;
    private readonly CancellationTokenSource _done = new();
    private readonly Task _loop;
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
        Erase();
        _done.Dispose();
    }

    public void Dispose()
    {
        if (!_done.IsCancellationRequested)
        {
            _done.Cancel();
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
                if (_live)
                {
                    Erase();
                    var table = SummaryTable.Format(snapshot);
                    _linesDrawn = table.Count(c => c == '\n');
                    await _writer.WriteAsync(table).ConfigureAwait(false);
                }
                else
                {
                    await _writer.WriteLineAsync(SummaryTable.FormatLine(snapshot)).ConfigureAwait(false);
                }

                await _writer.FlushAsync().ConfigureAwait(false);
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
            // ANSI: cursor up over the last table, then clear to the end of the screen.
            _writer.Write($"\u001b[{_linesDrawn}A\u001b[J");
            _linesDrawn = 0;
        }
    }
}
