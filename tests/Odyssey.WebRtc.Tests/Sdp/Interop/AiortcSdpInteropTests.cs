using System.Diagnostics;
using System.Text.Json.Nodes;
using Odyssey.Tests;
using Odyssey.WebRtc.Sdp;

namespace Odyssey.WebRtc.Tests.Sdp.Interop;

/// <summary>
/// aiortc 1.4 (Debian python3-aiortc, the library the Odyssey Python client uses) reads our answers to its
/// offers and answers our offers: the signalling half of interop, without ICE or DTLS.
/// </summary>
public sealed class AiortcSdpInteropTests
{
    /// <summary>Generous bound for one exchange (Python start-up and gathering on a loaded machine); only a hang reaches it.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static readonly string Script = Path.Combine(RepositoryRoot.Path, "tests", "Odyssey.WebRtc.Tests", "Sdp", "Interop", "aiortc_sdp.py");

    private static SdpLocalOptions Options(
        SdpSetupRole actPass = SdpSetupRole.Active,
        SdpUnsupportedMedia unsupported = SdpUnsupportedMedia.Reject,
        IReadOnlyList<SdpCodecCapability>? codecs = null) => new()
        {
            IceUfrag = "Od1s",
            IcePwd = "0123456789abcdefghijkl",
            // Any well-formed SHA-256 fingerprint: aiortc checks it only during the DTLS handshake.
            Fingerprints = [new SdpFingerprint("sha-256", string.Join(':', Enumerable.Range(0, 32).Select(i => i.ToString("X2", System.Globalization.CultureInfo.InvariantCulture))))],
            Candidates = ["1 1 udp 2130706431 127.0.0.1 9 typ host"],
            EndOfCandidates = true,
            ActPassAnswer = actPass,
            UnsupportedMedia = unsupported,
            VideoCodecs = codecs,
        };

    [Theory]
    [InlineData("video/H264", SdpSetupRole.Active, "server")]
    [InlineData("video/VP8", SdpSetupRole.Active, "server")]
    [InlineData("video/H264", SdpSetupRole.Passive, "client")]
    public async Task AiortcOffer_OurAnswer_IsAcceptedWithTheCodecAndDtlsRole(string codec, SdpSetupRole role, string aiortcRole)
    {
        var result = await OfferToUs([codec], Options(actPass: role));

        Assert.True((bool)result["ok"]!, (string?)result["error"]);
        Assert.Equal(codec, (string?)result["codec"]);
        Assert.Equal(aiortcRole, (string?)result["dtls_role"]);
        Assert.Equal(5000, (int)result["sctp_port"]!);
    }

    [Theory]
    [InlineData(SdpUnsupportedMedia.Reject)]
    [InlineData(SdpUnsupportedMedia.ReceiveAndDrop)]
    public async Task AiortcOfferWithAudio_OurAnswerRejectingOrDroppingIt_IsAccepted(SdpUnsupportedMedia unsupported)
    {
        var result = await OfferToUs(["video/VP8", "audio"], Options(unsupported: unsupported));

        Assert.True((bool)result["ok"]!, (string?)result["error"]);
        Assert.Equal("video/VP8", (string?)result["codec"]);
    }

    [Theory]
    [InlineData("H264", "video/H264")]
    [InlineData("VP8", "video/VP8")]
    public async Task OurOffer_Aiortc_AnswersWithOurCodecAsActiveReceiver(string codecName, string mimeType)
    {
        var codec = codecName == "VP8" ? SdpCodecCapability.Vp8 : SdpCodecCapability.H264(H264Profile.ConstrainedBaseline);
        var offer = SdpNegotiator.CreateOffer(Options(codecs: [codec]));

        var result = await Exchange(["answer-to-us"], async (process) =>
        {
            await process.StandardInput.WriteLineAsync(new JsonObject { ["offer"] = offer.ToString() }.ToJsonString());
            return await ReadJson(process);
        });

        Assert.True((bool)result["ok"]!, (string?)result["error"]);
        Assert.Equal(mimeType, (string?)result["codec"]);
        var answer = SessionDescription.Parse((string)result["answer"]!);
        var video = answer.Media[0];
        Assert.Equal(SdpDirection.RecvOnly, video.Direction);
        Assert.Equal(SdpSetupRole.Active, answer.SetupOf(video));
        Assert.Equal(codecName, video.Codecs[0].Name);
        Assert.Equal(offer.Media[0].Codecs[0].PayloadType, video.Codecs[0].PayloadType);
        Assert.Equal("UDP/DTLS/SCTP", answer.Media[1].Protocol);
        Assert.Equal(5000, answer.Media[1].EffectiveSctpPort);
    }

    private static Task<JsonObject> OfferToUs(string[] arguments, SdpLocalOptions options) =>
        Exchange(["offer-to-us", .. arguments], async process =>
        {
            var offer = SessionDescription.Parse((string)(await ReadJson(process))["offer"]!);
            var answer = SdpNegotiator.CreateAnswer(offer, options);
            await process.StandardInput.WriteLineAsync(new JsonObject { ["answer"] = answer.ToString() }.ToJsonString());
            return await ReadJson(process);
        });

    private static async Task<JsonObject> Exchange(string[] arguments, Func<Process, Task<JsonObject>> talk)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            var result = await talk(process).WaitAsync(Timeout);
            await process.WaitForExitAsync().WaitAsync(Timeout);
            return result;
        }
        catch (Exception e) when (e is TimeoutException or InvalidDataException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"aiortc script failed: {e.Message}\n{await errors}", e);
        }
    }

    private static async Task<JsonObject> ReadJson(Process process)
    {
        var line = await process.StandardOutput.ReadLineAsync() ?? throw new InvalidDataException("the script ended without an answer");
        return JsonNode.Parse(line)!.AsObject();
    }
}
