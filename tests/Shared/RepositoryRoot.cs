namespace Odyssey.Tests;

/// <summary>The checkout the tests run from, found by walking up to OdysseyPipeline.sln; shared by every test project.</summary>
internal static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "OdysseyPipeline.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no OdysseyPipeline.sln above {AppContext.BaseDirectory}");
    }
}
