using CsCheck;
using Odyssey.WebRtc.Ice;

namespace Odyssey.WebRtc.Tests.Ice;

/// <summary>Random and mutated candidate strings: a candidate that writes back to itself, or the typed format error.</summary>
public sealed class IceCandidatePropertyTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private static readonly string[] Seeds =
    [
        "candidate:842163049 1 udp 1677729535 203.0.113.7 56143 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag Xy+/ network-id 1 network-cost 10",
        "a=candidate:16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 32977 typ host",
        "candidate:1 1 UDP 2122262783 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host generation 0",
        "candidate:3 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active",
        "2 1 udp 1853817087 2001:db8::5 61000 typ prflx raddr fd00::5 rport 5000",
    ];

    [Fact]
    public async Task Parse_MutatedCandidates_RoundTripsOrThrowsFormatError()
    {
        const string Alphabet = " 0123456789abcdef:.-+/%typhostsrflxraddrrport\t\u00e9";
        var edit = Gen.Select(Gen.Int[0, 200], Gen.Int[0, Alphabet.Length - 1], Gen.Int[0, 2]);
        var mutated = Gen.Select(Gen.Int[0, Seeds.Length - 1], edit.Array[1, 5]).Select((seed, edits) =>
        {
            var text = new System.Text.StringBuilder(Seeds[seed]);
            foreach (var (position, symbol, kind) in edits)
            {
                var at = Math.Min(position, text.Length);
                switch (kind)
                {
                    case 0 when at < text.Length: text[at] = Alphabet[symbol]; break;
                    case 1: text.Insert(at, Alphabet[symbol]); break;
                    case 2 when at < text.Length: text.Remove(at, 1); break;
                }
            }

            return text.ToString();
        });

        await Task.Run(() => Gen.OneOf(mutated, Gen.String[0, 120]).Sample(Exercise, iter: 20_000)).WaitAsync(HangGuard);
    }

    private static void Exercise(string text)
    {
        var accepted = IceCandidate.TryParse(text, out var viaTry);
        try
        {
            var candidate = IceCandidate.Parse(text);
            Assert.True(accepted);
            // What we write, we read back identically.
            Assert.Equal(candidate.ToString(), IceCandidate.Parse(candidate.ToString()).ToString());
            Assert.Equal(viaTry!.ToString(), candidate.ToString());
        }
        catch (IceCandidateFormatException)
        {
            Assert.False(accepted);
        }
    }
}
