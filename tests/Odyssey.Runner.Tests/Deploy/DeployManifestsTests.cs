using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Odyssey.Runner.Tests;

/// <summary>
/// Structural checks of deploy/ (no Docker or kubectl here): the YAML parses, every reference between
/// objects resolves, and the worker's command line, with the ConfigMap's values put in, is one the
/// runner accepts. The NATS configuration is checked by nats-server itself.
/// </summary>
public sealed partial class DeployManifestsTests
{
    private static readonly string Kubernetes = Path.Combine(RunnerProcess.RepositoryRoot, "deploy", "k8s");

    /// <summary>The API group/version each kind we use lives in (a typo here is a kubectl apply failure).</summary>
    private static readonly Dictionary<string, string> ApiVersions = new(StringComparer.Ordinal)
    {
        ["Namespace"] = "v1",
        ["ConfigMap"] = "v1",
        ["Service"] = "v1",
        ["Deployment"] = "apps/v1",
        ["StatefulSet"] = "apps/v1",
        ["Kustomization"] = "kustomize.config.k8s.io/v1beta1",
    };

    [Fact]
    public void Manifests_EveryObject_HasAKnownKindItsApiVersionAndAName()
    {
        foreach (var (file, document) in Documents())
        {
            var kind = document.GetProperty("kind").GetString()!;
            Assert.True(ApiVersions.TryGetValue(kind, out var expected), $"{file}: unexpected kind {kind}");
            Assert.Equal(expected, document.GetProperty("apiVersion").GetString());
            if (kind != "Kustomization")
            {
                Assert.False(string.IsNullOrEmpty(document.GetProperty("metadata").GetProperty("name").GetString()), $"{file}: {kind} without metadata.name");
            }
        }
    }

    [Fact]
    public void Kustomization_ListsEveryManifestAndOnlyExistingFiles()
    {
        var kustomization = Documents().Single(d => d.Document.GetProperty("kind").GetString() == "Kustomization").Document;
        var resources = kustomization.GetProperty("resources").EnumerateArray().Select(r => r.GetString()!).ToList();
        var manifests = Directory.GetFiles(Kubernetes, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml");

        Assert.Equal(manifests.Order(StringComparer.Ordinal), resources.Order(StringComparer.Ordinal));
        foreach (var generator in kustomization.GetProperty("configMapGenerator").EnumerateArray())
        {
            foreach (var file in generator.GetProperty("files").EnumerateArray())
            {
                Assert.True(File.Exists(Path.Combine(Kubernetes, file.GetString()!.Split('=')[^1])), $"configMapGenerator file {file} is missing");
            }
        }
    }

    [Fact]
    public void Workloads_SelectorsMatchTheirPodsAndServicesFindPodsAndPorts()
    {
        var documents = Documents().Select(d => d.Document).ToList();
        var podTemplates = new List<JsonElement>();
        foreach (var workload in documents.Where(d => d.GetProperty("kind").GetString() is "Deployment" or "StatefulSet"))
        {
            var spec = workload.GetProperty("spec");
            var labels = spec.GetProperty("template").GetProperty("metadata").GetProperty("labels");
            foreach (var selector in spec.GetProperty("selector").GetProperty("matchLabels").EnumerateObject())
            {
                Assert.Equal(selector.Value.GetString(), labels.GetProperty(selector.Name).GetString());
            }

            foreach (var container in spec.GetProperty("template").GetProperty("spec").GetProperty("containers").EnumerateArray())
            {
                Assert.True(container.TryGetProperty("resources", out var resources) && resources.TryGetProperty("requests", out _), $"{container.GetProperty("name")}: set resource requests so the scheduler can place it");
            }

            podTemplates.Add(spec.GetProperty("template"));
        }

        foreach (var service in documents.Where(d => d.GetProperty("kind").GetString() == "Service"))
        {
            var selector = service.GetProperty("spec").GetProperty("selector").EnumerateObject().ToList();
            var pod = podTemplates.Single(t => selector.All(s => t.GetProperty("metadata").GetProperty("labels").TryGetProperty(s.Name, out var v) && v.GetString() == s.Value.GetString()));
            var portNames = pod.GetProperty("spec").GetProperty("containers").EnumerateArray()
                .SelectMany(c => c.GetProperty("ports").EnumerateArray()).Select(p => p.GetProperty("name").GetString()).ToHashSet();
            foreach (var port in service.GetProperty("spec").GetProperty("ports").EnumerateArray())
            {
                Assert.Contains(port.GetProperty("targetPort").GetString(), portNames);
            }
        }
    }

    [Fact]
    public void Worker_ArgumentsWithTheConfigMapsValues_AreAWorkerCommandTheRunnerAccepts()
    {
        var documents = Documents().Select(d => d.Document).ToList();
        var configMaps = documents.Where(d => d.GetProperty("kind").GetString() == "ConfigMap")
            .ToDictionary(d => d.GetProperty("metadata").GetProperty("name").GetString()!, d => d.GetProperty("data"));
        var deployment = documents.Single(d => d.GetProperty("kind").GetString() == "Deployment");
        var pod = deployment.GetProperty("spec").GetProperty("template").GetProperty("spec");
        var container = pod.GetProperty("containers")[0];

        // Every $(VAR) must be defined, and every ConfigMap reference must resolve (kubectl leaves an
        // undefined $(VAR) as literal text, which the runner would then reject at start).
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in container.GetProperty("env").EnumerateArray())
        {
            var name = variable.GetProperty("name").GetString()!;
            if (variable.TryGetProperty("value", out var literal))
            {
                values[name] = literal.GetString()!;
            }
            else if (variable.GetProperty("valueFrom").TryGetProperty("configMapKeyRef", out var reference))
            {
                var map = configMaps[reference.GetProperty("name").GetString()!];
                values[name] = map.GetProperty(reference.GetProperty("key").GetString()!).GetString()!;
            }
            else
            {
                values[name] = "pod-0";
            }
        }

        var args = container.GetProperty("args").EnumerateArray()
            .Select(a => Variable().Replace(a.GetString()!, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : throw new KeyNotFoundException($"$({m.Groups[1].Value}) is not defined in the worker's env")))
            .ToList();
        var parsed = CommandLine.Parse(args);

        Assert.Null(parsed.Error);
        Assert.Equal("worker", parsed.Command);
        Assert.Equal("nats://nats:4222", parsed.Nats);

        // A stopping pod hands its jobs back within the grace period; the ack wait must not expire first.
        Assert.True(pod.GetProperty("terminationGracePeriodSeconds").GetDouble() > parsed.AckWaitSeconds);
    }

    [Fact]
    public async Task NatsConfiguration_IsValidForNatsServerWithJetStream()
    {
        var config = Path.Combine(Kubernetes, "nats-server.conf");
        var info = new ProcessStartInfo("nats-server") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(config);
        info.ArgumentList.Add("-t");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(RunnerProcess.Timeout);

        Assert.True(process.ExitCode == 0, $"nats-server -t: {await output}{await error}");
        Assert.Matches(@"(?m)^jetstream\s*\{", await File.ReadAllTextAsync(config));
    }

    [Fact]
    public void Examples_EveryPipeline_IsValid()
    {
        var examples = Directory.GetFiles(Path.Combine(RunnerProcess.RepositoryRoot, "deploy", "examples"), "*.json");
        Assert.NotEmpty(examples);
        foreach (var example in examples)
        {
            var result = Odyssey.Pipeline.PipelineLoader.LoadFile(example, Odyssey.Pipeline.Blocks.BuiltInBlocks.CreateRegistry());
            Assert.True(result.IsValid, $"{example}: {string.Join("; ", result.Errors)}");
        }
    }

    /// <summary>Every YAML document under deploy/k8s, parsed by PyYAML (Debian's python3-yaml) into JSON.</summary>
    private static List<(string File, JsonElement Document)> Documents()
    {
        var files = Directory.GetFiles(Kubernetes, "*.yaml").Order(StringComparer.Ordinal).ToList();
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import json, sys, yaml; print(json.dumps([[f, d] for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d is not None]))");
        foreach (var file in files)
        {
            info.ArgumentList.Add(file);
        }

        using var process = Process.Start(info)!;
        var json = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(RunnerProcess.Timeout), "python3 did not finish");
        Assert.True(process.ExitCode == 0, $"YAML does not parse: {error}");
        using var parsed = JsonDocument.Parse(json);
        return [.. parsed.RootElement.EnumerateArray().Select(pair => (Path.GetFileName(pair[0].GetString()!), pair[1].Clone()))];
    }

    [GeneratedRegex(@"\$\(([A-Z_][A-Z0-9_]*)\)")]
    private static partial Regex Variable();
}
