using System.Diagnostics;
using Odyssey.Tests;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc.Tests.Srtp;

/// <summary>
/// Cross-checks against libsrtp (Debian python3-pylibsrtp, which aiortc uses), run by /usr/bin/python3:
/// what libsrtp protects we unprotect and the other way round, for both profiles. The RFC vectors fix
/// the transforms with session keys; this also fixes the key derivation for GCM, which has no RFC vector.
/// </summary>
public sealed class LibsrtpInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80, "aes128cm")]
    [InlineData(SrtpProfile.AeadAes128Gcm, "gcm")]
    public async Task Libsrtp_BothDirections_AgreeOnEveryPacket(SrtpProfile profile, string name)
    {
        SrtpMasterKey key = SrtpContextTests.Key(profile, seed: 9);
        using var sender = new SrtpContext(key);
        using var receiver = new SrtpContext(key);
        // Across a sequence wrap, with CSRCs and a header extension, and RTCP.
        ushort[] sequences = [65533, 65534, 65535, 0, 1];
        var commands = new List<string>();
        var ours = new List<byte[]>();
        foreach (ushort sequence in sequences)
        {
            byte[] plain = RtpPackets.Rtp(sequence, payload: 200, csrcs: 1, extensionWords: 1);
            commands.Add("protect-rtp " + Convert.ToHexString(plain));
            var buffer = new byte[plain.Length + sender.RtpOverhead];
            plain.CopyTo(buffer, 0);
            Assert.Equal(SrtpError.None, sender.ProtectRtp(buffer, plain.Length, out _));
            commands.Add("unprotect-rtp " + Convert.ToHexString(buffer));
            ours.Add(plain);
        }

        byte[] rtcp = RtpPackets.Rtcp();
        var rtcpBuffer = new byte[rtcp.Length + sender.RtcpOverhead];
        rtcp.CopyTo(rtcpBuffer, 0);
        Assert.Equal(SrtpError.None, sender.ProtectRtcp(rtcpBuffer, rtcp.Length, out _));
        commands.Add("protect-rtcp " + Convert.ToHexString(rtcp));
        commands.Add("unprotect-rtcp " + Convert.ToHexString(rtcpBuffer));

        string keyHex = Convert.ToHexString(key.Key) + Convert.ToHexString(key.Salt);
        string[] replies = await RunPeerAsync(name, keyHex, commands);

        Assert.Equal(commands.Count, replies.Length);
        for (int i = 0; i < sequences.Length; i++)
        {
            byte[] theirs = Convert.FromHexString(replies[2 * i]);
            Assert.Equal(SrtpError.None, receiver.UnprotectRtp(theirs, out int length));
            Assert.Equal(ours[i], theirs[..length]);
            Assert.Equal(Convert.ToHexString(ours[i]), replies[(2 * i) + 1], ignoreCase: true);
        }

        byte[] theirRtcp = Convert.FromHexString(replies[^2]);
        Assert.Equal(SrtpError.None, receiver.UnprotectRtcp(theirRtcp, out int rtcpLength));
        Assert.Equal(rtcp, theirRtcp[..rtcpLength]);
        Assert.Equal(Convert.ToHexString(rtcp), replies[^1], ignoreCase: true);
    }

    private static async Task<string[]> RunPeerAsync(string profile, string keyHex, List<string> commands)
    {
        string script = Path.Combine(RepositoryRoot.Path, "tests", "Odyssey.WebRtc.Tests", "Srtp", "Scripts", "libsrtp_peer.py");
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(profile);
        start.ArgumentList.Add(keyHex);
        using var process = Process.Start(start)!;
        using var cancellation = new CancellationTokenSource(Timeout);
        try
        {
            foreach (string command in commands)
            {
                await process.StandardInput.WriteLineAsync(command);
            }

            process.StandardInput.Close();
            Task<string> stderr = process.StandardError.ReadToEndAsync(cancellation.Token);
            string stdout = await process.StandardOutput.ReadToEndAsync(cancellation.Token);
            await process.WaitForExitAsync(cancellation.Token);
            Assert.True(process.ExitCode == 0, $"libsrtp_peer.py exited {process.ExitCode}: {await stderr}");
            return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
