// The recordings CLI of the seed: list your recordings, show one, download its video. Needs only an API key.
//
//   ODYSSEY_API_KEY=ody_... dotnet run --project samples/Odyssey.Recordings -- list [--limit N] [--offset N]
//   ... -- get STREAM_ID
//   ... -- download STREAM_ID [--output FILE.mp4]
using System.Globalization;
using Odyssey.Client;

const string Usage = "usage: Odyssey.Recordings list [--limit N] [--offset N] | get STREAM_ID | download STREAM_ID [--output FILE]";
if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

int? limit = null, offset = null;
string? outputPath = null;
var positional = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--limit" when i + 1 < args.Length: limit = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--offset" when i + 1 < args.Length: offset = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--output" when i + 1 < args.Length: outputPath = args[++i]; break;
        default: positional.Add(args[i]); break;
    }
}

await using var client = new OdysseyClient();
try
{
    switch (positional)
    {
        case ["list"]:
            var page = await client.ListStreamRecordingsAsync(limit, offset);
            Console.WriteLine($"{page.Total} recordings (showing {page.Recordings.Count} from {page.Offset})");
            foreach (var r in page.Recordings)
            {
                Console.WriteLine($"{r.StreamId}  {r.Width}x{r.Height}  started {r.StartedAt}  {r.DurationSeconds?.ToString("F1", CultureInfo.InvariantCulture) ?? "?"} s");
            }

            return 0;
        case ["get", var id]:
            var recording = await client.GetRecordingAsync(id);
            Console.WriteLine($"stream:    {recording.StreamId}");
            Console.WriteLine($"video:     {recording.VideoUrl ?? "-"}");
            Console.WriteLine($"events:    {recording.EventsUrl ?? "-"}");
            Console.WriteLine($"thumbnail: {recording.ThumbnailUrl ?? "-"}");
            Console.WriteLine($"preview:   {recording.PreviewUrl ?? "-"}");
            Console.WriteLine($"frames:    {recording.FrameCount?.ToString(CultureInfo.InvariantCulture) ?? "-"}");
            Console.WriteLine($"duration:  {recording.DurationSeconds?.ToString("F1", CultureInfo.InvariantCulture) ?? "-"} s");
            return 0;
        case ["download", var id]:
            var target = await client.GetRecordingAsync(id);
            if (target.VideoUrl is null)
            {
                Console.Error.WriteLine($"recording {id} has no video yet");
                return 1;
            }

            var path = outputPath ?? $"{id}.mp4";
            using (var http = new HttpClient())
            {
                // Written to a temporary name first, so a failed download never leaves a half-written file.
                var partial = path + ".part";
                await using (var file = File.Create(partial))
                await using (var body = await http.GetStreamAsync(new Uri(target.VideoUrl)))
                {
                    await body.CopyToAsync(file);
                }

                File.Move(partial, path, overwrite: true);
            }

            Console.WriteLine($"saved {path} ({new FileInfo(path).Length} bytes)");
            return 0;
        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}
catch (OdysseyError error)
{
    Console.Error.WriteLine($"{error.GetType().Name}: {error.Message}");
    return 1;
}
catch (HttpRequestException error)
{
    Console.Error.WriteLine($"download failed: {error.Message}");
    return 1;
}
