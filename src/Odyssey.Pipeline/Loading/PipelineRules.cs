namespace Odyssey.Pipeline;

/// <summary>The stable rule ids of <see cref="PipelineError.Rule"/>, for tools that act on them.</summary>
public static class PipelineRules
{
#pragma warning disable CS1591 // each id is its own documentation; pipelines/README.md explains them
    public const string FileNotFound = "file-not-found";
    public const string MalformedJson = "malformed-json";
    public const string WrongType = "wrong-type";
    public const string UnknownProperty = "unknown-property";
    public const string MissingProperty = "missing-property";
    public const string DuplicateProperty = "duplicate-property";
    public const string InvalidName = "invalid-name";
    public const string DuplicateBlock = "duplicate-block";
    public const string UnknownBlockType = "unknown-block-type";
    public const string UnknownOption = "unknown-option";
    public const string MissingOption = "missing-option";
    public const string OutOfRange = "out-of-range";
    public const string InvalidValue = "invalid-value";
    public const string InvalidParallelism = "invalid-parallelism";
    public const string UnknownBlock = "unknown-block";
    public const string UnknownPort = "unknown-port";
    public const string AmbiguousPort = "ambiguous-port";
    public const string InvalidLink = "invalid-link";
    public const string DuplicateLink = "duplicate-link";
    public const string UnconnectedPort = "unconnected-port";
    public const string TypeMismatch = "type-mismatch";
    public const string Cycle = "cycle";
    public const string PluginNotFound = "plugin-not-found";
    public const string PluginLoadFailed = "plugin-load-failed";
    public const string InvalidOverride = "invalid-override";
#pragma warning restore CS1591
}
