using Odyssey.Media.FFmpeg.Native;

namespace Odyssey.Media.FFmpeg;

/// <summary>Versions of the FFmpeg libraries found at run time.</summary>
public sealed record FFmpegVersions(Version AvCodec, Version AvUtil, Version SwScale)
{
    /// <summary>libavformat's version (containers: demuxing and muxing).</summary>
    public Version? AvFormat { get; init; }
}

/// <summary>Entry point to the system FFmpeg: probes the libraries once, with a clear error when they are unusable.</summary>
public static class FFmpegRuntime
{
    /// <summary>
    /// Loads and checks libavutil, libavcodec, libswscale and libavformat (once per process) and returns their versions.
    /// Throws <see cref="FFmpegUnavailableException"/> naming the library and the package to install.
    /// </summary>
    public static FFmpegVersions EnsureAvailable() => FFmpegLibraries.EnsureLoaded();
}
