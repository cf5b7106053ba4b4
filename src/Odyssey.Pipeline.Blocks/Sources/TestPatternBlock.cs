using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Odyssey.Media;

namespace Odyssey.Pipeline.Blocks;

/// <summary>Options of <see cref="TestPatternBlock"/>.</summary>
public sealed class TestPatternOptions : IValidatableObject
{
    /// <summary>Frames produced when neither <see cref="Frames"/> nor <see cref="Duration"/> is given: ten seconds at 30 fps.</summary>
    public const long DefaultFrames = 300;

    /// <summary>Frame width in pixels.</summary>
    [Description("Frame width in pixels (the index stamp stays readable from 64x48 up).")]
    [Range(16, 16384)]
    public int Width { get; init; } = 640;

    /// <summary>Frame height in pixels.</summary>
    [Description("Frame height in pixels.")]
    [Range(12, 16384)]
    public int Height { get; init; } = 480;

    /// <summary>Frames per second: sets timestamps and, with <see cref="Realtime"/>, the pace.</summary>
    [Description("Frames per second: sets the timestamps and, when realtime, the pace.")]
    [Range(0.001, 1000.0)]
    public double Fps { get; init; } = 30;

    /// <summary>Frames to produce; 0 runs until the pipeline is stopped. Default 300 unless <see cref="Duration"/> is given.</summary>
    [Description("Frames to produce (default 300); 0 runs until the pipeline is stopped. Do not combine with duration.")]
    [Range(0, long.MaxValue)]
    public long? Frames { get; init; }

    /// <summary>Seconds of video to produce instead of a frame count: frames = round(duration × fps).</summary>
    [Description("Seconds of video to produce, instead of frames: frames = round(duration * fps).")]
    [Range(0.001, 1e9)]
    public double? Duration { get; init; }

    /// <summary>Pixel format of the produced frames; drawn as bgr24 and converted when different.</summary>
    [Description("Pixel format of the frames; bgr24 is drawn natively, others are converted.")]
    public PixelFormat Format { get; init; } = PixelFormat.Bgr24;

    /// <summary>When true, frames are paced to <see cref="Fps"/> by the wall clock; else produced as fast as consumed.</summary>
    [Description("Pace frames to fps by the wall clock (like a camera) instead of as fast as downstream takes them.")]
    public bool Realtime { get; init; }

    /// <summary>Chooses the colours and paths of the moving shapes; the same seed gives identical pixels.</summary>
    [Description("Chooses colours and paths of the moving shapes; the same seed gives identical pixels.")]
    public int Seed { get; init; }

    /// <summary>Frames to produce after defaults: 0 means unbounded.</summary>
    public long EffectiveFrames() => Frames ?? (Duration is { } seconds ? (long)Math.Round(seconds * Fps, MidpointRounding.AwayFromZero) : DefaultFrames);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Frames is not null && Duration is not null)
        {
            yield return new ValidationResult("give either frames or duration, not both", ["frames", "duration"]);
        }
        else if (Duration is { } seconds && Math.Round(seconds * Fps, MidpointRounding.AwayFromZero) < 1)
        {
            yield return new ValidationResult($"duration {seconds} s at {Fps} fps is less than one frame", ["duration"]);
        }
    }
}

/// <summary>
/// A deterministic moving scene with each frame's index stamped as a <see cref="FrameIndexCode"/>:
/// the source for tests, benchmarks and demos.
/// </summary>
/// <remarks>
/// Completion: returns after the last frame (end of stream), or as soon as the token fires (a stop,
/// not a failure). A frame handed to <see cref="IBlockOutput{T}.WriteAsync"/> belongs to the output
/// from the call on, even if the write is cancelled.
/// </remarks>
[Block(TypeName, Description = "Synthetic moving scene with a machine-readable frame index; for tests and demos.")]
public sealed class TestPatternBlock(TestPatternOptions options) : SourceBlock<VideoFrame, TestPatternOptions>(options)
{
    /// <summary>The type name in pipeline files.</summary>
    public const string TypeName = "testpattern";

    /// <summary>The clock realtime pacing follows; tests replace it to check the pace without waiting.</summary>
    internal TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <inheritdoc />
    protected override async Task ProduceAsync(IBlockOutput<VideoFrame> output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var total = Options.EffectiveFrames();
        var scene = new TestScene(Options.Width, Options.Height, Options.Seed);
        using var pace = Options.Realtime ? new FramePacer(Options.Fps, Clock) : null;
        for (long index = 0; total == 0 || index < total; index++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            // The first frame goes out at once; each later one waits until it is due.
            if (pace is not null)
            {
                try
                {
                    await pace.WaitAsync(index, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }

            var frame = Render(scene, index);
            try
            {
                await output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private VideoFrame Render(TestScene scene, long index)
    {
        var pool = Context.FramePool;
        var drawn = pool.Rent(Options.Width, Options.Height, PixelFormat.Bgr24);
        try
        {
            scene.Draw(drawn, index);
            FrameIndexCode.Draw(drawn, index);
            drawn.Index = index;
            drawn.Pts = TimeSpan.FromSeconds(index / Options.Fps);
            drawn.CaptureTime = DateTimeOffset.UtcNow;
        }
        catch
        {
            drawn.Release();
            throw;
        }

        if (Options.Format == PixelFormat.Bgr24)
        {
            return drawn;
        }

        var converted = pool.Rent(Options.Width, Options.Height, Options.Format);
        try
        {
            PixelConverter.Convert(drawn, converted);
            converted.CopyMetadataFrom(drawn);
            return converted;
        }
        catch
        {
            converted.Release();
            throw;
        }
        finally
        {
            drawn.Release();
        }
    }
}

/// <summary>
/// Draws the moving scene in managed code: a scrolling colour gradient, a bouncing rectangle and a
/// bouncing disc. Pure function of (size, seed, index), so runs are reproducible.
/// </summary>
internal sealed class TestScene
{
    /// <summary>Period of the gradient in pixels: one smooth triangle wave of each colour.</summary>
    private const int GradientPeriod = 512;

    /// <summary>The gradient scrolls this many pixels per frame: visible motion without tearing the triangle wave.</summary>
    private const int GradientSpeed = 3;

    private readonly int _width;
    private readonly int _height;
    private readonly byte[] _gradient;
    private readonly Shape _rectangle;
    private readonly Shape _disc;

    public TestScene(int width, int height, int seed)
    {
        _width = width;
        _height = height;

        // One row of gradient, a period longer than the frame, so each frame copies a shifted window.
        _gradient = new byte[(width + GradientPeriod) * 3];
        for (var x = 0; x < width + GradientPeriod; x++)
        {
            var wave = Triangle(x, GradientPeriod);
            _gradient[3 * x] = (byte)wave;
            _gradient[(3 * x) + 1] = (byte)(64 + (wave / 2));
            _gradient[(3 * x) + 2] = (byte)(255 - wave);
        }

        // The seed only picks colours, sizes and speeds; it is not a security boundary.
#pragma warning disable CA5394
        var random = new Random(seed);
        var size = Math.Max(4, Math.Min(width, height) / 5);
        _rectangle = new Shape(random.Next(width), random.Next(height), 1 + random.Next(6), 1 + random.Next(6), size + random.Next(size), size,
            (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        _disc = new Shape(random.Next(width), random.Next(height), 1 + random.Next(6), 1 + random.Next(6), size / 2, size / 2,
            (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
#pragma warning restore CA5394
    }

    public void Draw(VideoFrame frame, long index)
    {
        var shift = (int)(index * GradientSpeed % GradientPeriod);
        var source = _gradient.AsSpan(shift * 3, _width * 3);
        for (var y = 0; y < _height; y++)
        {
            source.CopyTo(frame.GetRow(0, y));
        }

        var (rx, ry) = _rectangle.Position(index, _width, _height);
        for (var y = Math.Max(0, ry); y < Math.Min(_height, ry + _rectangle.Height); y++)
        {
            FillPixels(frame.GetRow(0, y), Math.Max(0, rx), Math.Min(_width, rx + _rectangle.Width), _rectangle);
        }

        var (dx, dy) = _disc.Position(index, _width, _height);
        var radius = _disc.Width;
        for (var y = Math.Max(0, dy - radius); y < Math.Min(_height, dy + radius); y++)
        {
            var offset = y - dy;
            var half = (int)Math.Sqrt((radius * radius) - (offset * offset));
            FillPixels(frame.GetRow(0, y), Math.Max(0, dx - half), Math.Min(_width, dx + half), _disc);
        }
    }

    private static void FillPixels(Span<byte> row, int from, int to, Shape shape)
    {
        for (var x = from; x < to; x++)
        {
            row[3 * x] = shape.Blue;
            row[(3 * x) + 1] = shape.Green;
            row[(3 * x) + 2] = shape.Red;
        }
    }

    /// <summary>0 → 255 → 0 over <paramref name="period"/> steps.</summary>
    private static int Triangle(long position, int period)
    {
        var phase = (int)(position % period);
        var half = period / 2;
        return (phase < half ? phase : period - phase) * 255 / half;
    }

    /// <summary>A shape bouncing between the frame's edges: position is a triangle wave of time.</summary>
    private readonly record struct Shape(int StartX, int StartY, int SpeedX, int SpeedY, int Width, int Height, byte Blue, byte Green, byte Red)
    {
        public (int X, int Y) Position(long index, int frameWidth, int frameHeight) =>
            (Bounce(StartX + (index * SpeedX), frameWidth), Bounce(StartY + (index * SpeedY), frameHeight));

        private static int Bounce(long position, int extent)
        {
            var period = 2 * extent;
            var phase = (int)(position % period);
            return phase < extent ? phase : period - phase;
        }
    }
}
