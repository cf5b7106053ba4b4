namespace Odyssey.Runner;

/// <summary>What the process exit code means; scripts and CI branch on these.</summary>
internal static class ExitCodes
{
    /// <summary>The pipeline ran to the end (or was stopped and drained cleanly), or the command succeeded.</summary>
    public const int Success = 0;

    /// <summary>A block failed while running.</summary>
    public const int RuntimeFailure = 1;

    /// <summary>The pipeline file or the command line is invalid; nothing ran.</summary>
    public const int InvalidInput = 2;
}
