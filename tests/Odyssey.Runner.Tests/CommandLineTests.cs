namespace Odyssey.Runner.Tests;

public class CommandLineTests
{
    [Fact]
    public void Parse_RunWithEveryOption_ReadsThemAll()
    {
        var parsed = CommandLine.Parse(["run", "p.json", "--set", "a.b=1", "--set", "c.d=x", "--plugin", "x.dll", "--metrics-out", "m.json", "--plain", "--progress-interval", "0.5", "--verbose"]);

        Assert.Null(parsed.Error);
        Assert.Equal("run", parsed.Command);
        Assert.Equal("p.json", parsed.File);
        Assert.Equal(["a.b=1", "c.d=x"], parsed.Overrides.AsEnumerable());
        Assert.Equal(["x.dll"], parsed.Plugins.AsEnumerable());
        Assert.Equal("m.json", parsed.MetricsOut);
        Assert.True(parsed.Plain);
        Assert.Equal(0.5, parsed.ProgressInterval);
        Assert.True(parsed.Verbose);
    }

    [Theory]
    [InlineData(new string[0], "no command given")]
    [InlineData(new[] { "launch" }, "unknown command \"launch\"")]
    [InlineData(new[] { "run" }, "run needs a pipeline FILE")]
    [InlineData(new[] { "run", "a.json", "b.json" }, "unexpected argument \"b.json\"")]
    [InlineData(new[] { "run", "a.json", "--set", "novalue" }, "--set needs BLOCK.OPTION=VALUE")]
    [InlineData(new[] { "run", "a.json", "--set" }, "--set needs BLOCK.OPTION=VALUE")]
    [InlineData(new[] { "graph", "a.json", "--format", "svg" }, "--format must be mermaid or dot")]
    [InlineData(new[] { "run", "a.json", "--progress-interval", "0" }, "--progress-interval needs a number of seconds from 0.001 to 86400")]
    [InlineData(new[] { "run", "a.json", "--progress-interval", "NaN" }, "--progress-interval needs a number of seconds from 0.001 to 86400")]
    [InlineData(new[] { "run", "a.json", "--progress-interval", "Infinity" }, "--progress-interval needs a number of seconds from 0.001 to 86400")]
    [InlineData(new[] { "run", "a.json", "--progress-interval", "0.0001" }, "--progress-interval needs a number of seconds from 0.001 to 86400")]
    [InlineData(new[] { "run", "a.json", "--progress-interval", "1e10" }, "--progress-interval needs a number of seconds from 0.001 to 86400")]
    [InlineData(new[] { "validate", "a.json", "--frobnicate" }, "unknown option \"--frobnicate\" for validate")]
    [InlineData(new[] { "blocks", "extra" }, "unexpected argument \"extra\"")]
    public void Parse_BadArguments_ReportTheProblem(string[] args, string error)
    {
        Assert.Equal(error, CommandLine.Parse(args).Error);
    }

    [Fact]
    public void Parse_Help_IsACommand()
    {
        Assert.Equal("help", CommandLine.Parse(["--help"]).Command);
    }
}
