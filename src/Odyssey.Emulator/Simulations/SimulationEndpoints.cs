using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Odyssey.Emulator.Api;
using Odyssey.Emulator.Auth;

namespace Odyssey.Emulator.Simulations;

/// <summary>POST/GET/DELETE <c>/simulation-jobs[/{job_id}]</c> (PROTOCOL.md §7).</summary>
internal static class SimulationEndpoints
{
    public static void Map(IEndpointRouteBuilder app, EmulatorContext context)
    {
        var bearer = BearerAuth.Group(app, context);
        bearer.MapPost("/simulation-jobs", (HttpRequest request) => CreateAsync(request, context));
        bearer.MapGet("/simulation-jobs", (HttpRequest request) => List(request, context));
        bearer.MapGet("/simulation-jobs/{jobId}", (HttpRequest request, string jobId) => Get(request, jobId, context));
        bearer.MapDelete("/simulation-jobs/{jobId}", (HttpRequest request, string jobId) => Cancel(request, jobId, context));
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, EmulatorContext context)
    {
        var apiKey = BearerAuth.ApiKey(request);

        var (body, error) = await ApiResults.ReadObjectAsync(request);
        if (error is not null)
        {
            return error;
        }

        var problems = new List<ValidationProblem>();
        var portrait = true;
        if (body!["portrait"] is { } portraitNode && !(portraitNode is JsonValue pv && pv.TryGetValue(out portrait)))
        {
            problems.Add(new ValidationProblem("bool_type", ["body", "portrait"], "Input should be a valid boolean", portraitNode));
        }

        var given = 0;
        given += body["script"] is not null ? 1 : 0;
        given += body["scripts"] is not null ? 1 : 0;
        given += body["script_url"] is not null ? 1 : 0;
        if (given != 1)
        {
            problems.Add(new ValidationProblem("value_error", ["body"], "Value error, exactly one of script, scripts or script_url must be provided", null));
        }

        var scripts = new List<IReadOnlyList<ScriptEntry>>();
        string? scriptUrl = null;
        if (given == 1)
        {
            if (body["script"] is { } script)
            {
                scripts.Add(ReadScript(script, ["body", "script"], problems));
            }
            else if (body["scripts"] is { } many)
            {
                if (many is not JsonArray list || list.Count == 0)
                {
                    problems.Add(new ValidationProblem("list_type", ["body", "scripts"], "Input should be a non-empty list of scripts", many));
                }
                else
                {
                    for (var i = 0; i < list.Count; i++)
                    {
                        scripts.Add(ReadScript(list[i], ["body", "scripts", i], problems));
                    }
                }
            }
            else if (body["script_url"] is not JsonValue urlNode || !urlNode.TryGetValue(out scriptUrl))
            {
                problems.Add(new ValidationProblem("string_type", ["body", "script_url"], "Input should be a valid string", body["script_url"]));
            }
        }

        if (problems.Count > 0)
        {
            return ApiResults.Invalid([.. problems]);
        }

        var job = context.Simulations.Create(apiKey, portrait, scripts, scriptUrl);
        context.Log($"simulation {job.Id}: {scripts.Count} script(s) queued");
        return ApiResults.Json(new JsonObject
        {
            ["job_id"] = job.Id,
            ["status"] = SimulationJobs.Pending,
            ["priority"] = 0,
            ["created_at"] = ApiResults.Iso8601(job.CreatedAt),
            ["estimated_wait_minutes"] = 0,
        });
    }

    /// <summary>A script: a non-empty list of {timestamp_ms, start | interact | end}, timestamps not decreasing, starting with start.</summary>
    private static List<ScriptEntry> ReadScript(JsonNode? node, object[] where, List<ValidationProblem> problems)
    {
        var entries = new List<ScriptEntry>();
        if (node is not JsonArray list || list.Count == 0)
        {
            problems.Add(new ValidationProblem("list_type", where, "Input should be a non-empty list of script entries", node));
            return entries;
        }

        long last = 0;
        for (var i = 0; i < list.Count; i++)
        {
            object[] at = [.. where, i];
            if (list[i] is not JsonObject entry)
            {
                problems.Add(new ValidationProblem("model_type", at, "Input should be an object", list[i]));
                continue;
            }

            if (entry["timestamp_ms"] is not JsonValue ts || !ts.TryGetValue<long>(out var timestamp) || timestamp < 0)
            {
                problems.Add(new ValidationProblem("int_type", [.. at, "timestamp_ms"], "Input should be a non-negative integer", entry["timestamp_ms"]));
                continue;
            }

            if (timestamp < last)
            {
                problems.Add(new ValidationProblem("value_error", [.. at, "timestamp_ms"], "Value error, timestamps must not decrease", timestamp));
            }

            last = timestamp;
            var kinds = 0;
            string? kind = null;
            foreach (var candidate in new[] { "start", "interact", "end" })
            {
                if (entry[candidate] is not null)
                {
                    kinds++;
                    kind = candidate;
                }
            }

            if (kinds != 1)
            {
                problems.Add(new ValidationProblem("value_error", at, "Value error, each entry has exactly one of start, interact or end", entry));
                continue;
            }

            if (i == 0 && kind != "start")
            {
                problems.Add(new ValidationProblem("value_error", at, "Value error, a script begins with start", entry));
            }

            string? prompt = null;
            var hasImage = false;
            if (kind != "end")
            {
                if (entry[kind!] is not JsonObject action || action["prompt"] is not JsonValue p || !p.TryGetValue(out prompt))
                {
                    problems.Add(new ValidationProblem("string_type", [.. at, kind!, "prompt"], "Input should be a valid string", entry[kind!]));
                    continue;
                }

                hasImage = action["image"] is not null;
            }

            entries.Add(new ScriptEntry(timestamp, kind!, prompt, hasImage));
        }

        return entries;
    }

    private static IResult Get(HttpRequest request, string jobId, EmulatorContext context)
    {
        var apiKey = BearerAuth.ApiKey(request);

        if (context.Simulations.Find(jobId) is not { } job || job.ApiKey != apiKey)
        {
            return ApiResults.Detail(StatusCodes.Status404NotFound, "Simulation job not found");
        }

        lock (job)
        {
            var streams = new JsonArray();
            foreach (var (index, recording) in job.Streams)
            {
                var entry = ApiEndpoints.RecordingJson(recording, context);
                entry["script_index"] = index;
                streams.Add(entry);
            }

            return ApiResults.Json(new JsonObject
            {
                ["job_id"] = job.Id,
                ["status"] = job.Status,
                ["priority"] = 0,
                ["created_at"] = ApiResults.Iso8601(job.CreatedAt),
                ["dispatched_at"] = Time(job.DispatchedAt),
                ["started_at"] = Time(job.StartedAt),
                ["completed_at"] = Time(job.CompletedAt),
                ["error_message"] = job.ErrorMessage,
                ["assigned_region"] = job.DispatchedAt is null ? null : ApiEndpoints.RegionId,
                ["retry_count"] = 0,
                ["streams"] = streams,
            });
        }
    }

    private static IResult List(HttpRequest request, EmulatorContext context)
    {
        var apiKey = BearerAuth.ApiKey(request);

        if (!ApiEndpoints.TryPaging(request, out var limit, out var offset, out var invalid))
        {
            return invalid!;
        }

        string? status = request.Query["status"];
        if (status is not null && Array.IndexOf(SimulationJobs.Statuses, status) < 0)
        {
            return ApiResults.Invalid(new ValidationProblem("enum", ["query", "status"], $"Input should be {string.Join(", ", SimulationJobs.Statuses)}", status));
        }

        bool? active = null;
        if (request.Query.TryGetValue("active", out var activeText))
        {
            if (!bool.TryParse(activeText, out var flag))
            {
                return ApiResults.Invalid(new ValidationProblem("bool_parsing", ["query", "active"], "Input should be a valid boolean, unable to interpret input", activeText.ToString()));
            }

            active = flag;
        }

        var matching = new List<SimulationJob>();
        foreach (var job in context.Simulations.ListFor(apiKey))
        {
            lock (job)
            {
                if ((status is null || job.Status == status) && (active is null || job.IsActive == active))
                {
                    matching.Add(job);
                }
            }
        }

        var page = new JsonArray();
        for (var i = offset; i < Math.Min(matching.Count, offset + limit); i++)
        {
            var job = matching[i];
            lock (job)
            {
                page.Add(new JsonObject
                {
                    ["job_id"] = job.Id,
                    ["status"] = job.Status,
                    ["priority"] = 0,
                    ["created_at"] = ApiResults.Iso8601(job.CreatedAt),
                    ["completed_at"] = Time(job.CompletedAt),
                    ["error_message"] = job.ErrorMessage,
                });
            }
        }

        return ApiResults.Json(new JsonObject { ["jobs"] = page, ["total"] = matching.Count, ["limit"] = limit, ["offset"] = offset });
    }

    private static IResult Cancel(HttpRequest request, string jobId, EmulatorContext context)
    {
        var apiKey = BearerAuth.ApiKey(request);

        if (context.Simulations.Find(jobId) is not { } job || job.ApiKey != apiKey)
        {
            return ApiResults.Detail(StatusCodes.Status404NotFound, "Simulation job not found");
        }

        if (!context.Simulations.TryCancel(job))
        {
            return ApiResults.Detail(StatusCodes.Status400BadRequest, $"Simulation job is already {job.Status} and cannot be cancelled");
        }

        return ApiResults.Json(new JsonObject { ["job_id"] = job.Id, ["status"] = SimulationJobs.Cancelled });
    }

    private static string? Time(DateTimeOffset? time) => time is { } t ? ApiResults.Iso8601(t) : null;
}
