using System.Reflection;
using System.Runtime.InteropServices;

namespace Odyssey.Media.FFmpeg.Native;

/// <summary>
/// Loads the system FFmpeg by its versioned sonames and checks each library's major version before any
/// binding is called. Debian ships only the versioned names (no -dev symlinks), and a different major
/// version would mean different struct offsets, so a mismatch must stop us rather than corrupt memory.
/// </summary>
internal static class FFmpegLibraries
{
    /// <summary>The short names the bindings import; the resolver maps them to the probed handles.</summary>
    public const string AvCodec = "avcodec";

    /// <inheritdoc cref="AvCodec"/>
    public const string AvUtil = "avutil";

    /// <inheritdoc cref="AvCodec"/>
    public const string SwScale = "swscale";

    /// <inheritdoc cref="AvCodec"/>
    public const string AvFormat = "avformat";

    // FFmpeg 5.1, the Debian 12 release our struct offsets were measured against (INTEROP-NOTES.md).
    internal static readonly LibrarySpec AvCodecSpec = new("libavcodec.so.59", "avcodec_version", 59, "libavcodec59");
    internal static readonly LibrarySpec AvUtilSpec = new("libavutil.so.57", "avutil_version", 57, "libavutil57");
    internal static readonly LibrarySpec SwScaleSpec = new("libswscale.so.6", "swscale_version", 6, "libswscale6");
    internal static readonly LibrarySpec AvFormatSpec = new("libavformat.so.59", "avformat_version", 59, "libavformat59");

    private static readonly Lock Gate = new();
    private static nint _avCodec;
    private static nint _avUtil;
    private static nint _swScale;
    private static nint _avFormat;
    private static FFmpegVersions? _versions;
    private static FFmpegUnavailableException? _failure;

    /// <summary>Probes once; afterwards returns the same versions or rethrows the same failure.</summary>
    public static FFmpegVersions EnsureLoaded()
    {
        lock (Gate)
        {
            if (_versions is { } known)
            {
                return known;
            }

            if (_failure is not null)
            {
                throw _failure;
            }

            try
            {
                // avutil first: avcodec depends on it, and its failure is the more basic one to report.
                var avUtil = Probe(AvUtilSpec, out var avUtilVersion);
                var avCodec = Probe(AvCodecSpec, out var avCodecVersion);
                var swScale = Probe(SwScaleSpec, out var swScaleVersion);
                var avFormat = Probe(AvFormatSpec, out var avFormatVersion);
                _avUtil = avUtil;
                _avCodec = avCodec;
                _swScale = swScale;
                _avFormat = avFormat;
                NativeLibrary.SetDllImportResolver(typeof(FFmpegLibraries).Assembly, Resolve);
                _versions = new FFmpegVersions(avCodecVersion, avUtilVersion, swScaleVersion) { AvFormat = avFormatVersion };
                return _versions;
            }
            catch (FFmpegUnavailableException exception)
            {
                _failure = exception;
                throw;
            }
        }
    }

    /// <summary>
    /// Loads one library and checks its major version. Internal so tests can probe a library that does
    /// not exist and see the message a user would.
    /// </summary>
    internal static unsafe nint Probe(LibrarySpec spec, out Version version)
    {
        if (!NativeLibrary.TryLoad(spec.FileName, out var handle))
        {
            throw new FFmpegUnavailableException(spec.FileName, spec.ExpectedMajor, null, spec.DebianPackage);
        }

        if (!NativeLibrary.TryGetExport(handle, spec.VersionSymbol, out var export))
        {
            throw new FFmpegUnavailableException(spec.FileName, spec.ExpectedMajor, null, spec.DebianPackage);
        }

        // FFmpeg packs versions as major << 16 | minor << 8 | micro (AV_VERSION_INT).
        var packed = ((delegate* unmanaged<uint>)export)();
        version = new Version((int)(packed >> 16), (int)((packed >> 8) & 0xFF), (int)(packed & 0xFF));
        if (version.Major != spec.ExpectedMajor)
        {
            throw new FFmpegUnavailableException(spec.FileName, spec.ExpectedMajor, version, spec.DebianPackage);
        }

        return handle;
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) => libraryName switch
    {
        AvCodec => _avCodec,
        AvUtil => _avUtil,
        SwScale => _swScale,
        AvFormat => _avFormat,
        _ => 0,
    };

    /// <summary>What one library is called, how to ask its version, and which package provides it.</summary>
    internal sealed record LibrarySpec(string FileName, string VersionSymbol, int ExpectedMajor, string DebianPackage);
}
