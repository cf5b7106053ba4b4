using System.Globalization;
using System.Security.Cryptography;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using Odyssey.Pipeline.Blocks;

namespace Odyssey.Runner.Jobs;

/// <summary>
/// The job queue on one NATS server: creates its streams and bucket on first use (idempotent, so
/// submit and worker may start in any order), puts jobs on the queue and reads states, results and
/// dead letters. Shared by the submit, worker and jobs commands.
/// </summary>
internal sealed class JobQueue : IAsyncDisposable
{
    /// <summary>Resubmitting the same job id inside this window is dropped by JetStream, not run twice.</summary>
    private static readonly TimeSpan DuplicateWindow = TimeSpan.FromMinutes(2);

    /// <summary>Finished jobs' results and dead letters are kept this long; a fleet's history, not an archive.</summary>
    private static readonly TimeSpan HistoryAge = TimeSpan.FromDays(7);

    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    private JobQueue(NatsConnection connection, NatsJSContext jetStream, INatsKVStore states)
    {
        Connection = connection;
        JetStream = jetStream;
        States = states;
    }

    public NatsConnection Connection { get; }

    public NatsJSContext JetStream { get; }

    public INatsKVStore States { get; }

    /// <summary>Connects and makes sure the queue's streams and bucket exist.</summary>
    public static async Task<JobQueue> OpenAsync(string url, CancellationToken cancellationToken)
    {
        var connection = await NatsSubjects.ConnectAsync(url, "odyssey-pipeline", cancellationToken).ConfigureAwait(false);
        try
        {
            var jetStream = new NatsJSContext(connection);
            await jetStream.CreateOrUpdateStreamAsync(
                new StreamConfig(JobNames.QueueStream, [JobNames.QueueSubject])
                {
                    Retention = StreamConfigRetention.Workqueue,
                    Storage = StreamConfigStorage.File,
                    DuplicateWindow = DuplicateWindow,
                },
                cancellationToken).ConfigureAwait(false);
            await jetStream.CreateOrUpdateStreamAsync(HistoryStream(JobNames.ResultStream, JobNames.ResultSubject), cancellationToken).ConfigureAwait(false);
            await jetStream.CreateOrUpdateStreamAsync(HistoryStream(JobNames.DeadLetterStream, JobNames.DeadLetterSubject), cancellationToken).ConfigureAwait(false);
            var kv = new NatsKVContext(jetStream);
            var states = await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(JobNames.StateBucket) { MaxAge = HistoryAge }, cancellationToken).ConfigureAwait(false);
            return new JobQueue(connection, jetStream, states);
        }
        catch (NatsJSApiException e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"NATS at {url}: cannot set up the job queue (is JetStream enabled? run nats-server -js): {e.Error.Description}", e);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Results and dead letters: kept on disk for <see cref="HistoryAge"/>, a resubmitted message dropped.</summary>
    private static StreamConfig HistoryStream(string name, string subject) =>
        new(name, [subject])
        {
            Storage = StreamConfigStorage.File,
            DuplicateWindow = DuplicateWindow,
            MaxAge = HistoryAge,
        };

    /// <summary>A new job id: the file's name, a UTC time and random bits, readable and unique across submitters.</summary>
    public static string NewJobId(string pipelineName)
    {
        var stem = new string([.. Path.GetFileNameWithoutExtension(pipelineName).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-')]);
        var time = DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return $"{(stem.Length == 0 ? "job" : stem)}-{time}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
    }

    /// <summary>Why <paramref name="id"/> cannot be a job id (it is a bucket key and a subject token), or null.</summary>
    public static string? IdProblem(string id)
    {
        if (id.Length is 0 or > 200)
        {
            return "job id must have 1 to 200 characters";
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return $"job id \"{id}\" may hold only ASCII letters, digits, '-' and '_' (it names a key, a subject token and a folder)";
            }
        }

        return null;
    }

    /// <summary>Puts <paramref name="job"/> on the queue; false when a job with its id exists already.</summary>
    public async Task<bool> SubmitAsync(JobMessage job, CancellationToken cancellationToken)
    {
        // The state entry first, created only if absent: a worker that picks the job up at once then
        // overwrites "queued" with "running", never the other way round.
        var queued = new JobStatus { Id = job.Id, Name = job.Name, State = JobState.Queued, Updated = DateTimeOffset.UtcNow };
        var created = await States.TryCreateAsync(job.Id, JobJson.Serialize(queued), Raw, cancellationToken).ConfigureAwait(false);
        if (!created.Success)
        {
            return false;
        }

        var headers = new NatsHeaders { [JobNames.JobIdHeader] = job.Id, [JobNames.MessageIdHeader] = job.Id };
        var ack = await JetStream.PublishAsync(JobNames.QueueSubject, JobJson.Serialize(job), Raw, headers: headers, cancellationToken: cancellationToken).ConfigureAwait(false);
        ack.EnsureSuccess();
        return true;
    }

    public Task PutStateAsync(JobStatus status, CancellationToken cancellationToken) =>
        States.PutAsync(status.Id, JobJson.Serialize(status), Raw, cancellationToken).AsTask();

    /// <summary>Every job's last known state, oldest update first.</summary>
    public async Task<List<JobStatus>> ListStatesAsync(CancellationToken cancellationToken)
    {
        var states = new List<JobStatus>();
        foreach (var key in await ListStateKeysAsync(cancellationToken).ConfigureAwait(false))
        {
            var entry = await States.TryGetEntryAsync(key, serializer: Raw, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entry.Success && entry.Value.Value is { } bytes && JobJson.TryDeserialize<JobStatus>(bytes, out _) is { } status)
            {
                states.Add(status);
            }
        }

        states.Sort((a, b) => a.Updated.CompareTo(b.Updated));
        return states;
    }

    /// <summary>
    /// The bucket's keys from its stream's per-subject counts: one request per page. The client's own
    /// key listing (a watcher that ends when the server reports nothing pending) hung in CI once, every
    /// job done and the test's two minutes spent waiting for the end of the keys.
    /// </summary>
    private async Task<List<string>> ListStateKeysAsync(CancellationToken cancellationToken)
    {
        var prefix = $"$KV.{JobNames.StateBucket}.";
        var keys = new List<string>();
        while (true)
        {
            var request = new StreamInfoRequest { SubjectsFilter = prefix + ">", Offset = keys.Count };
            var stream = await JetStream.GetStreamAsync($"KV_{JobNames.StateBucket}", request, cancellationToken).ConfigureAwait(false);
            var page = stream.Info.State.Subjects;
            if (page is null || page.Count == 0)
            {
                return keys;
            }

            keys.AddRange(page.Keys.Select(subject => subject[prefix.Length..]));
            if (keys.Count >= stream.Info.State.NumSubjects)
            {
                return keys;
            }
        }
    }

    /// <summary>Messages waiting on the queue (not yet handed to a worker, or handed back).</summary>
    public async Task<ulong> CountQueuedAsync(CancellationToken cancellationToken)
    {
        var stream = await JetStream.GetStreamAsync(JobNames.QueueStream, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (ulong)stream.Info.State.Messages;
    }

    /// <summary>Every stored message of <paramref name="stream"/>, decoded as <typeparamref name="T"/>; for `jobs` and the tests.</summary>
    public async Task<List<T>> ReadAllAsync<T>(string stream, CancellationToken cancellationToken)
        where T : class
    {
        var items = new List<T>();
        var info = await JetStream.GetStreamAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        var count = (long)info.Info.State.Messages;
        if (count == 0)
        {
            return items;
        }

        var consumer = await JetStream.CreateOrderedConsumerAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        await foreach (var message in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = (int)count, Expires = TimeSpan.FromSeconds(5) }, Raw, cancellationToken).ConfigureAwait(false))
        {
            if (message.Data is { } data && JobJson.TryDeserialize<T>(data, out _) is { } item)
            {
                items.Add(item);
            }
        }

        return items;
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync().ConfigureAwait(false);
}
