using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net.Sockets;
using Odyssey.Media;
using OpenCvSharp;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="DisplaySinkBlock"/>.</summary>
public sealed class DisplaySinkOptions : IValidatableObject
{
    /// <summary>Window title; the block's name when empty.</summary>
    [Description("Window title (the block's name when empty).")]
    public string Title { get; init; } = "";

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Checked while the file is validated, so a headless machine is told before anything runs.
        if (DisplayProbe.Problem(Environment.GetEnvironmentVariable("DISPLAY")) is { } problem)
        {
            yield return new ValidationResult(problem + "; the display block opens a desktop window: run it on a desktop or under Xvfb, or use the preview block (a browser page) instead");
        }
    }
}

/// <summary>
/// Shows frames in an OpenCV HighGUI window. The window lives on a thread of its own (GTK wants one
/// thread); the pipeline hands it the newest frame and never waits for the screen: a frame the window had
/// no time to show is replaced by the next one and counted in <see cref="FramesSkipped"/>.
/// </summary>
[Block(TypeName, Description = "Shows frames in a desktop window (OpenCV HighGUI); needs an X display.")]
public sealed class DisplaySinkBlock(DisplaySinkOptions options) : SinkBlock<VideoFrame, DisplaySinkOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "display";

    /// <summary>How long the window thread waits for a frame before pumping window events again.</summary>
    private const int IdleEventPumpMs = 20;

    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private VideoFrame? _pending;
    private Thread? _thread;
    private volatile bool _stopping;
    private Exception? _failure;
    private string _title = "";

    /// <summary>Frames shown in the window.</summary>
    public long FramesShown { get; private set; }

    /// <summary>Frames replaced by a newer one before the window could show them.</summary>
    public long FramesSkipped { get; private set; }

    /// <inheritdoc />
    protected override async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _title = string.IsNullOrEmpty(Options.Title) ? Name : Options.Title;
        _thread = new Thread(ShowFrames) { IsBackground = true, Name = $"display {Name}" };
        _thread.Start();
        await _opened.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override ValueTask ConsumeAsync(VideoFrame item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (_failure is { } failure)
        {
            throw new InvalidOperationException($"display \"{Name}\": the window failed: {failure.Message}", failure);
        }

        item.AddRef();
        VideoFrame? replaced;
        lock (_lock)
        {
            replaced = _pending;
            _pending = item;
        }

        if (replaced is not null)
        {
            replaced.Release();
            FramesSkipped++;
        }
        else
        {
            _signal.Release();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        Stop();
        _signal.Dispose();
        return base.DisposeAsync();
    }

    private void Stop()
    {
        if (_thread is null)
        {
            return;
        }

        _stopping = true;
        _signal.Release();
        _thread.Join();
        _thread = null;
        lock (_lock)
        {
            _pending?.Release();
            _pending = null;
        }
    }

    private void ShowFrames()
    {
        using var images = new FrameImages();
        try
        {
            Cv2.NamedWindow(_title, WindowFlags.AutoSize);
            _opened.TrySetResult();
            while (!_stopping)
            {
                _signal.Wait(IdleEventPumpMs);
                VideoFrame? frame;
                lock (_lock)
                {
                    frame = _pending;
                    _pending = null;
                }

                if (frame is not null)
                {
                    VideoFrame? rented = null;
                    try
                    {
                        using var image = images.ToBgr(frame, Context.FramePool, ref rented);
                        Cv2.ImShow(_title, image);
                        FramesShown++;
                    }
                    finally
                    {
                        rented?.Release();
                        frame.Release();
                    }
                }

                // HighGUI draws and handles window events only inside WaitKey.
                Cv2.WaitKey(1);
            }

            Cv2.DestroyWindow(_title);
            Cv2.WaitKey(1);
        }
        catch (Exception e) when (e is OpenCVException or OpenCvSharpException or InvalidOperationException)
        {
            _failure = e;
            _opened.TrySetException(new InvalidOperationException($"display \"{Name}\" could not open its window: {e.Message}", e));
        }
    }
}

/// <summary>Finds out, without opening a window, whether an X display named by $DISPLAY accepts connections.</summary>
internal static class DisplayProbe
{
    /// <summary>X servers listen on TCP port 6000 + display number.</summary>
    private const int XTcpBasePort = 6000;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Null when <paramref name="display"/> can be connected to; otherwise what is wrong, for a person.</summary>
    public static string? Problem(string? display)
    {
        if (string.IsNullOrWhiteSpace(display))
        {
            return "no display: $DISPLAY is not set";
        }

        // [host]:number[.screen]
        var colon = display.LastIndexOf(':');
        var dot = colon < 0 ? -1 : display.IndexOf('.', colon);
        var numberText = colon < 0 ? "" : dot < 0 ? display[(colon + 1)..] : display[(colon + 1)..dot];
        if (!int.TryParse(numberText, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return $"cannot use display \"{display}\": $DISPLAY is not of the form [host]:number[.screen]";
        }

        var host = display[..colon];
        try
        {
            if (host.Length == 0 || host == "unix")
            {
                var path = $"/tmp/.X11-unix/X{number}";

                // Linux X servers also listen on the abstract name, which works where /tmp is not shared.
                if (TryConnectUnix(path) || TryConnectUnix("\0" + path))
                {
                    return null;
                }

                return $"cannot open display \"{display}\": nothing accepts connections at {path}";
            }

            using var tcp = new TcpClient();
            if (!tcp.ConnectAsync(host, XTcpBasePort + number).Wait(ConnectTimeout))
            {
                return $"cannot open display \"{display}\": {host}:{XTcpBasePort + number} did not answer";
            }

            return null;
        }
        catch (Exception e) when (e is SocketException or AggregateException)
        {
            return $"cannot open display \"{display}\": {e.GetBaseException().Message}";
        }
    }

    private static bool TryConnectUnix(string path)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
