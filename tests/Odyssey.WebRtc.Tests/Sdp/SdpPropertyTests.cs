using System.Text;
using CsCheck;
using Odyssey.Tests;
using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc.Tests.Sdp;

/// <summary>
/// Random and mutated SDP through parser, writer and answerer: a typed <see cref="SdpParseException"/> or a
/// model whose written text reads back equal, never another exception or a hang.
/// </summary>
public sealed class SdpPropertyTests
{
    /// <summary>Generous bound for a whole property run: reached only if something hangs, never by slowness.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private const int Iterations = 2000;

    private static readonly string[] Samples = SdpSamples.Names.Select(SdpSamples.Text).ToArray();

    /// <summary>Characters that make SDP structure, so random text reaches past the first line.</summary>
    private static readonly Gen<char> SdpChar = Gen.Char["vostcmab=:/ -*#0123456789efABCDEF\r\n.;"];

    private static readonly SdpLocalOptions AnswerOptions = new()
    {
        IceUfrag = "Od1s",
        IcePwd = "0123456789abcdefghijkl",
        Fingerprints = [new SdpFingerprint("sha-256", "AA:BB")],
        UnsupportedMedia = SdpUnsupportedMedia.ReceiveAndDrop,
    };

    [Fact]
    public async Task Parse_RandomText_ParsesOrThrowsSdpParseException()
    {
        var sdpish = SdpChar.Array[0, 300].Select(c => new string(c));
        var headed = sdpish.Select(s => "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\n" + s);

        await Run(() => Gen.OneOf(Gen.String, sdpish, headed).Sample(CheckText, iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Parse_SampleWithCharacterEdits_ParsesOrThrowsSdpParseException()
    {
        // Each edit: 0 delete, 1 duplicate, 2 insert, 3 replace the character at a position.
        var edits = Gen.Select(Gen.Int[0, TextMutation.KindCount - 1], Gen.Int[0, int.MaxValue], SdpChar).Array[1, 8];

        await Run(() => Gen.Select(Gen.Int[0, Samples.Length - 1], edits).Sample(
            (sample, e) => CheckText(TextMutation.Apply(Samples[sample], e)), iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Parse_SampleWithLineEdits_ParsesOrThrowsSdpParseException()
    {
        // Each edit: 0 delete, 1 duplicate, 2 swap with another line, 3 take a line of another sample,
        // 4 insert a random line, 5 cut the line short.
        var edit = Gen.Select(Gen.Int[0, 5], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue], SdpChar.Array[0, 20].Select(c => new string(c)));

        await Run(() => Gen.Select(Gen.Int[0, Samples.Length - 1], edit.Array[1, 6]).Sample(
            (sample, e) => CheckText(EditLines(Samples[sample], e)), iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Parse_SampleWithByteEditsAndTruncation_ParsesOrThrowsSdpParseException()
    {
        var edits = Gen.Select(Gen.Int[0, int.MaxValue], Gen.Byte).Array[0, 16];

        await Run(() => Gen.Select(Gen.Int[0, Samples.Length - 1], edits, Gen.Int[0, 4000]).Sample((sample, changes, cut) =>
        {
            var bytes = Encoding.UTF8.GetBytes(Samples[sample]);
            foreach (var (position, value) in changes)
            {
                bytes[position % bytes.Length] = value;
            }

            CheckText(Encoding.UTF8.GetString(bytes, 0, Math.Min(cut, bytes.Length)));
        }, iter: Iterations, threads: 1));
    }

    [Fact]
    public async Task Write_RandomModel_RefusesWithArgumentExceptionOrReadsBack()
    {
        var written = 0;

        await Run(() => Gen.Int.Sample(seed =>
        {
            var model = RandomModels.Create(seed);
            string text;
            try
            {
                text = model.ToString();
            }
            catch (ArgumentException)
            {
                return;
            }

            // The first read may normalise (a kept attribute that names a typed one becomes typed); from then on it is fixed.
            var read = SessionDescription.Parse(text);
            var again = read.ToString();
            SdpModelAssert.Equal(read, SessionDescription.Parse(again));
            Assert.Equal(again, SessionDescription.Parse(again).ToString());
            written++;
        }, iter: Iterations, threads: 1));

        // Most random models are writable, so the read-back check above really runs.
        Assert.True(written > Iterations / 2, $"only {written} of {Iterations} random models were written");
    }

    private static async Task Run(Action property) => await Task.Run(property).WaitAsync(HangGuard);

    private static void CheckText(string text)
    {
        SessionDescription parsed;
        try
        {
            parsed = SessionDescription.Parse(text);
        }
        catch (SdpParseException error)
        {
            Assert.False(string.IsNullOrEmpty(error.Field));
            Assert.InRange(error.LineNumber, 0, text.Count(c => c == '\n') + 1);
            return;
        }

        var written = parsed.ToString();
        var reparsed = SessionDescription.Parse(written);
        SdpModelAssert.Equal(parsed, reparsed);
        Assert.Equal(written, reparsed.ToString());

        // Whatever a peer offers, the answer is built and written without failing.
        var answer = SdpNegotiator.CreateAnswer(parsed, AnswerOptions);
        Assert.Equal(parsed.Media.Count, answer.Media.Count);
        SdpModelAssert.Equal(answer, SessionDescription.Parse(answer.ToString()));
    }

    private static string EditLines(string text, (int Kind, int A, int B, string Line)[] edits)
    {
        var lines = text.Split("\r\n").ToList();
        foreach (var (kind, a, b, line) in edits)
        {
            if (lines.Count == 0)
            {
                lines.Add(line);
                continue;
            }

            var i = a % lines.Count;
            var j = b % lines.Count;
            switch (kind)
            {
                case 0:
                    lines.RemoveAt(i);
                    break;
                case 1:
                    lines.Insert(i, lines[i]);
                    break;
                case 2:
                    (lines[i], lines[j]) = (lines[j], lines[i]);
                    break;
                case 3:
                    var other = Samples[b % Samples.Length].Split("\r\n");
                    lines[i] = other[a % other.Length];
                    break;
                case 4:
                    lines.Insert(i, line);
                    break;
                default:
                    lines[i] = lines[i][..(b % (lines[i].Length + 1))];
                    break;
            }
        }

        return string.Join("\r\n", lines);
    }
}
