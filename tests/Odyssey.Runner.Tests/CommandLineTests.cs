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
    [InlineData(new[] { "report" }, "report needs a RUN_DIR")]
    [InlineData(new[] { "report", "out/x", "--out" }, "--out needs a file path")]
    [InlineData(new[] { "run", "a.json", "--out", "r.html" }, "--out is an option of report, not of run")]
    [InlineData(new[] { "validate", "a.json", "--preview" }, "--preview is an option of run, not of validate")]
    [InlineData(new[] { "run", "a.json", "--preview-port", "70000" }, "--preview-port needs a port number from 0 to 65535")]
    [InlineData(new[] { "run", "a.json", "--preview-port", "-1" }, "--preview-port needs a port number from 0 to 65535")]
    public void Parse_BadArguments_ReportTheProblem(string[] args, string error)
    {
        Assert.Equal(error, CommandLine.Parse(args).Error);
    }

    [Fact]
    public void Parse_ReportAndPreview_ReadTheirOptions()
    {
        var report = CommandLine.Parse(["report", "out/run", "--out", "r.html"]);
        var preview = CommandLine.Parse(["run", "a.json", "--preview"]);
        var port = CommandLine.Parse(["run", "a.json", "--preview-port", "0"]);

        Assert.Null(report.Error);
        Assert.Equal(("report", "out/run", "r.html"), (report.Command, report.File, report.Output));
        Assert.Equal((true, CommandLine.DefaultPreviewPort), (preview.Preview, preview.PreviewPort));
        Assert.Equal((true, 0), (port.Preview, port.PreviewPort));
    }

    [Fact]
    public void Parse_Help_IsACommand()
    {
        Assert.Equal("help", CommandLine.Parse(["--help"]).Command);
    }
}
