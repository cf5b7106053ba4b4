namespace Odyssey.Media.FFmpeg;

/// <summary>
/// The system FFmpeg is missing or is a major version whose struct layouts we were not built for.
/// Carries the library, the versions and the Debian package that fixes it.
/// </summary>
public sealed class FFmpegUnavailableException : Exception
{
    /// <summary>Creates the exception for one library.</summary>
    public FFmpegUnavailableException(string library, int expectedMajor, Version? found, string debianPackage)
        : base(Describe(library, expectedMajor, found, debianPackage))
    {
        Library = library;
        ExpectedMajor = expectedMajor;
        Found = found;
        DebianPackage = debianPackage;
    }

    /// <summary>The shared-object name that was probed, e.g. libavcodec.so.59.</summary>
    public string Library { get; }

    /// <summary>The major version our bindings are built for.</summary>
    public int ExpectedMajor { get; }

    /// <summary>The version the library reported, or null when it could not be loaded at all.</summary>
    public Version? Found { get; }

    /// <summary>The Debian package that provides the expected version.</summary>
    public string DebianPackage { get; }

    private static string Describe(string library, int expectedMajor, Version? found, string debianPackage) => found is null
        ? $"FFmpeg library {library} could not be loaded (major version {expectedMajor} expected); install the Debian package {debianPackage} (apt-get install {debianPackage}, or run scripts/setup.sh)"
        : $"FFmpeg library {library} reports version {found}, but these bindings need major version {expectedMajor}; install the Debian package {debianPackage}";
}
