namespace Odyssey.Media.Tests.FFmpeg;

public class NativeBoundaryTests
{
    [Fact]
    public void Sources_NativeImports_OnlyInFfmpegNativeFolder()
    {
        // DESIGN.md: native code sits behind Odyssey.Media/FFmpeg/Native; nothing else declares imports.
        var root = Odyssey.Tests.RepositoryRoot.Path;

        var allowed = Path.Combine(root, "src", "Odyssey.Media", "FFmpeg", "Native") + Path.DirectorySeparatorChar;
        var offenders = new List<string>();
        var inAllowed = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            var text = File.ReadAllText(file);
            if (text.Contains("[DllImport", StringComparison.Ordinal) || text.Contains("[LibraryImport", StringComparison.Ordinal))
            {
                if (file.StartsWith(allowed, StringComparison.Ordinal))
                {
                    inAllowed++;
                }
                else
                {
                    offenders.Add(file);
                }
            }
        }

        Assert.Empty(offenders);
        Assert.True(inAllowed > 0, "the scan found no imports at all, so it is looking in the wrong place");
    }
}
