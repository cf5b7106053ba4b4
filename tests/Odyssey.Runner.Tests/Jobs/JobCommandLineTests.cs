namespace Odyssey.Runner.Tests;

public class JobCommandLineTests
{
    [Fact]
    public void Parse_WorkerWithEveryOption_ReadsThemAll()
    {
        var parsed = CommandLine.Parse(["worker", "--nats", "nats://127.0.0.1:4222", "--concurrency", "3", "--ack-wait", "2.5", "--work-dir", "out/jobs", "--name", "w1", "--max-jobs", "7"]);

        Assert.Null(parsed.Error);
        Assert.Equal("nats://127.0.0.1:4222", parsed.Nats);
        Assert.Equal(3, parsed.Concurrency);
        Assert.Equal(2.5, parsed.AckWaitSeconds);
        Assert.Equal("out/jobs", parsed.WorkDirectory);
        Assert.Equal("w1", parsed.WorkerName);
        Assert.Equal(7, parsed.MaxJobs);
    }

    [Fact]
    public void Parse_SubmitWithIdAndOverrides_ReadsThem()
    {
        var parsed = CommandLine.Parse(["submit", "p.json", "--set", "source.frames=10", "--nats", "nats://h:1", "--id", "job_1-a", "--max-attempts", "5"]);

        Assert.Null(parsed.Error);
        Assert.Equal("p.json", parsed.File);
        Assert.Equal(["source.frames=10"], parsed.Overrides.AsEnumerable());
        Assert.Equal("job_1-a", parsed.JobId);
        Assert.Equal(5, parsed.MaxAttempts);
    }

    [Theory]
    [InlineData(new[] { "worker" }, "worker needs --nats URL (a NATS server with JetStream)")]
    [InlineData(new[] { "jobs", "--nats", "http://x" }, "--nats: url \"http://x\" is not a nats://HOST:PORT address")]
    [InlineData(new[] { "submit", "--nats", "nats://h:1" }, "submit needs a pipeline FILE")]
    [InlineData(new[] { "worker", "--nats", "nats://h:1", "--concurrency", "0" }, "--concurrency needs a whole number from 1 to 256")]
    [InlineData(new[] { "worker", "--nats", "nats://h:1", "--ack-wait", "0.5" }, "--ack-wait needs a number of seconds from 1 to 86400")]
    [InlineData(new[] { "submit", "p.json", "--nats", "nats://h:1", "--id", "a/b" }, "--id: job id \"a/b\" may hold only ASCII letters, digits, '-' and '_' (it names a key, a subject token and a folder)")]
    [InlineData(new[] { "submit", "p.json", "--nats", "nats://h:1", "--max-attempts", "0" }, "--max-attempts needs a whole number from 1 to 100")]
    [InlineData(new[] { "worker", "extra", "--nats", "nats://h:1" }, "unexpected argument \"extra\"")]
    public void Parse_BadQueueArguments_ReportTheProblem(string[] args, string error)
    {
        Assert.Equal(error, CommandLine.Parse(args).Error);
    }
}
