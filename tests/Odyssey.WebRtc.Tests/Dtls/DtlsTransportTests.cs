using Odyssey.WebRtc.Dtls;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc.Tests.Dtls;

/// <summary>Our client against our server over a loopback UDP pair.</summary>
public sealed class DtlsTransportTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    private static readonly DtlsCertificate ClientCertificate = DtlsCertificate.Generate("client");
    private static readonly DtlsCertificate ServerCertificate = DtlsCertificate.Generate("server");

    private static DtlsOptions Fast(params SrtpProfile[] profiles) => new()
    {
        HandshakeTimeout = TimeSpan.FromSeconds(20),
        InitialRetransmitTimeout = TimeSpan.FromMilliseconds(200),
        SrtpProfiles = profiles.Length == 0 ? new DtlsOptions().SrtpProfiles : profiles,
    };

    /// <summary>Handshakes a pair; both tasks must finish within the test timeout.</summary>
    private static async Task ConnectAsync(DtlsTransport client, DtlsTransport server)
    {
        Task serverStart = server.StartAsync();
        Task clientStart = client.StartAsync();
        await Task.WhenAll(serverStart, clientStart).WaitAsync(TestTimeout);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Handshake_OurClientAndServer_ConnectWithMatchingSrtpKeys(bool serverStartsFirst)
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            await using var client = new DtlsTransport(a, ClientCertificate, DtlsRole.Client, [ServerCertificate.Fingerprint], Fast());
            await using var server = new DtlsTransport(b, ServerCertificate, DtlsRole.Server, [ClientCertificate.Fingerprint], Fast());

            if (serverStartsFirst)
            {
                await ConnectAsync(client, server);
            }
            else
            {
                Task clientStart = client.StartAsync();
                await Task.Delay(300); // the ClientHello arrives before the server has started
                await Task.WhenAll(clientStart, server.StartAsync()).WaitAsync(TestTimeout);
            }

            Assert.Equal(DtlsState.Connected, client.State);
            Assert.Equal(DtlsState.Connected, server.State);
            Assert.Equal(SrtpProfile.AeadAes128Gcm, client.SrtpProfile);
            Assert.Equal(SrtpProfile.AeadAes128Gcm, server.SrtpProfile);
            Assert.Equal(56, client.ExportedKeyingMaterial!.Length);
            Assert.Equal(client.ExportedKeyingMaterial, server.ExportedKeyingMaterial);
            Assert.Equal(client.LocalSrtpKey!.Key.ToArray(), server.RemoteSrtpKey!.Key.ToArray());
            Assert.Equal(client.LocalSrtpKey.Salt.ToArray(), server.RemoteSrtpKey.Salt.ToArray());
            Assert.Equal(server.LocalSrtpKey!.Key.ToArray(), client.RemoteSrtpKey!.Key.ToArray());
            Assert.NotEqual(client.LocalSrtpKey.Key.ToArray(), client.RemoteSrtpKey.Key.ToArray());
            Assert.Equal(ServerCertificate.Fingerprint, client.RemoteFingerprint);
            Assert.Equal(ClientCertificate.Fingerprint, server.RemoteFingerprint);
        }
    }

    [Fact]
    public async Task Handshake_KeysFromDtls_ProtectSrtpTheOtherSideUnprotects()
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            await using var client = new DtlsTransport(a, ClientCertificate, DtlsRole.Client, [ServerCertificate.Fingerprint], Fast());
            await using var server = new DtlsTransport(b, ServerCertificate, DtlsRole.Server, [ClientCertificate.Fingerprint], Fast());
            await ConnectAsync(client, server);

            using var sender = new SrtpContext(client.LocalSrtpKey!);
            using var receiver = new SrtpContext(server.RemoteSrtpKey!);
            byte[] plain = Srtp.RtpPackets.Rtp(1);
            var packet = new byte[plain.Length + sender.RtpOverhead];
            plain.CopyTo(packet, 0);
            Assert.Equal(SrtpError.None, sender.ProtectRtp(packet, plain.Length, out _));
            Assert.Equal(SrtpError.None, receiver.UnprotectRtp(packet, out int length));
            Assert.Equal(plain, packet[..length]);
        }
    }

    [Theory]
    [InlineData(new[] { SrtpProfile.AeadAes128Gcm, SrtpProfile.Aes128CmHmacSha1_80 }, new[] { SrtpProfile.Aes128CmHmacSha1_80 }, SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(new[] { SrtpProfile.Aes128CmHmacSha1_80 }, new[] { SrtpProfile.AeadAes128Gcm, SrtpProfile.Aes128CmHmacSha1_80 }, SrtpProfile.Aes128CmHmacSha1_80)]
    [InlineData(new[] { SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm }, new[] { SrtpProfile.AeadAes128Gcm, SrtpProfile.Aes128CmHmacSha1_80 }, SrtpProfile.AeadAes128Gcm)]
    public async Task Handshake_ProfileLists_ServerPicksItsFavouriteTheClientOffers(
        SrtpProfile[] clientProfiles, SrtpProfile[] serverProfiles, SrtpProfile expected)
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            await using var client = new DtlsTransport(a, ClientCertificate, DtlsRole.Client, [ServerCertificate.Fingerprint], Fast(clientProfiles));
            await using var server = new DtlsTransport(b, ServerCertificate, DtlsRole.Server, [ClientCertificate.Fingerprint], Fast(serverProfiles));
            await ConnectAsync(client, server);

            Assert.Equal(expected, client.SrtpProfile);
            Assert.Equal(expected, server.SrtpProfile);
            Assert.Equal(SrtpMasterKey.DtlsExportLength(expected), client.ExportedKeyingMaterial!.Length);
            Assert.Equal(client.ExportedKeyingMaterial, server.ExportedKeyingMaterial);
        }
    }

    [Theory]
    [InlineData(DtlsRole.Client)]
    [InlineData(DtlsRole.Server)]
    public async Task Handshake_WrongFingerprint_FailsWithTypedExceptionAndFailedState(DtlsRole checkingRole)
    {
        DtlsFingerprint wrong = DtlsCertificate.Generate("impostor").Fingerprint;
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            var options = Fast() with { HandshakeTimeout = TimeSpan.FromSeconds(5) };
            await using var client = new DtlsTransport(
                a, ClientCertificate, DtlsRole.Client, [checkingRole == DtlsRole.Client ? wrong : ServerCertificate.Fingerprint], options);
            await using var server = new DtlsTransport(
                b, ServerCertificate, DtlsRole.Server, [checkingRole == DtlsRole.Server ? wrong : ClientCertificate.Fingerprint], options);
            var states = new List<DtlsState>();
            DtlsTransport checker = checkingRole == DtlsRole.Client ? client : server;
            checker.StateChanged += state => { lock (states) { states.Add(state); } };

            Task serverStart = server.StartAsync();
            Task clientStart = client.StartAsync();
            Task checkerStart = checkingRole == DtlsRole.Client ? clientStart : serverStart;
            Task otherStart = checkingRole == DtlsRole.Client ? serverStart : clientStart;

            DtlsHandshakeException failure = await Assert.ThrowsAsync<DtlsHandshakeException>(() => checkerStart.WaitAsync(TestTimeout));
            Assert.Equal(DtlsFailureReason.FingerprintMismatch, failure.Reason);
            Assert.Contains("a=fingerprint", failure.Message, StringComparison.Ordinal);
            Assert.Equal(DtlsState.Failed, checker.State);
            Assert.Null(checker.LocalSrtpKey);
            lock (states)
            {
                Assert.Equal([DtlsState.Connecting, DtlsState.Failed], states);
            }

            // The other side is told with a bad_certificate alert (or times out if the alert is lost).
            DtlsHandshakeException other = await Assert.ThrowsAsync<DtlsHandshakeException>(() => otherStart.WaitAsync(TestTimeout));
            Assert.Contains(other.Reason, new[] { DtlsFailureReason.AlertReceived, DtlsFailureReason.Timeout });
        }
    }

    [Fact]
    public async Task Send_ApplicationData_ArrivesBothWaysThenCloseNotifyClosesPeer()
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            var client = new DtlsTransport(a, ClientCertificate, DtlsRole.Client, [ServerCertificate.Fingerprint], Fast());
            await using var server = new DtlsTransport(b, ServerCertificate, DtlsRole.Server, [ClientCertificate.Fingerprint], Fast());
            var atServer = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            var atClient = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            var serverClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            server.DataReceived += data => atServer.TrySetResult(data.ToArray());
            client.DataReceived += data => atClient.TrySetResult(data.ToArray());
            server.StateChanged += state =>
            {
                if (state == DtlsState.Closed)
                {
                    serverClosed.TrySetResult();
                }
            };
            await ConnectAsync(client, server);

            byte[] big = Enumerable.Range(0, client.MaxMessageSize).Select(i => (byte)i).ToArray();
            client.Send(big);
            server.Send("pong"u8);

            Assert.Equal(big, await atServer.Task.WaitAsync(TestTimeout));
            Assert.Equal("pong"u8.ToArray(), await atClient.Task.WaitAsync(TestTimeout));
            Assert.Throws<ArgumentException>(() => client.Send(new byte[client.MaxMessageSize + 1]));

            await client.DisposeAsync();
            Assert.Equal(DtlsState.Closed, client.State);
            await serverClosed.Task.WaitAsync(TestTimeout);
            Assert.Equal(DtlsState.Closed, server.State);
            Assert.Throws<InvalidOperationException>(() => server.Send("late"u8));
        }
    }

    [Fact]
    public async Task Handshake_FirstFlightsLost_RetransmissionCompletesIt()
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            a.DropNextSends = 1; // the first ClientHello
            b.DropNextSends = 2; // part of the server's first flight
            await using var client = new DtlsTransport(a, ClientCertificate, DtlsRole.Client, [ServerCertificate.Fingerprint], Fast());
            await using var server = new DtlsTransport(b, ServerCertificate, DtlsRole.Server, [ClientCertificate.Fingerprint], Fast());

            await ConnectAsync(client, server);

            Assert.Equal(client.ExportedKeyingMaterial, server.ExportedKeyingMaterial);
            Assert.Equal(0, a.DropNextSends);
            Assert.Equal(0, b.DropNextSends);
        }
    }

    [Fact]
    public async Task Handshake_NoPeer_TimesOutWithTypedException()
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            var options = Fast() with { HandshakeTimeout = TimeSpan.FromSeconds(1), InitialRetransmitTimeout = TimeSpan.FromMilliseconds(100) };
            await using var client = new DtlsTransport(a, ClientCertificate, DtlsRole.Client, [ServerCertificate.Fingerprint], options);

            DtlsHandshakeException failure = await Assert.ThrowsAsync<DtlsHandshakeException>(() => client.StartAsync().WaitAsync(TestTimeout));

            Assert.Equal(DtlsFailureReason.Timeout, failure.Reason);
            Assert.Equal(DtlsState.Failed, client.State);
            Assert.True(a.Sent >= 2, $"expected retransmitted ClientHellos, saw {a.Sent} datagram(s)");
        }
    }

    [Fact]
    public async Task StartAsync_Cancelled_ThrowsOperationCanceled()
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            await using var server = new DtlsTransport(b, ServerCertificate, DtlsRole.Server, [ClientCertificate.Fingerprint], Fast());
            using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server.StartAsync(cancellation.Token).WaitAsync(TestTimeout));
            Assert.Equal(DtlsState.Closed, server.State);
            Assert.Null(server.SrtpProfile);
        }
    }

    [Fact]
    public async Task Received_NonDtlsDatagrams_Ignored()
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            await using var client = new DtlsTransport(a, ClientCertificate, DtlsRole.Client, [ServerCertificate.Fingerprint], Fast());
            await using var server = new DtlsTransport(b, ServerCertificate, DtlsRole.Server, [ClientCertificate.Fingerprint], Fast());
            // STUN- and RTP-looking datagrams interleaved with the handshake.
            a.Send(new byte[] { 0x00, 0x01, 0x00, 0x00 });
            a.Send(new byte[] { 0x80, 0x60, 0x00, 0x01 });

            await ConnectAsync(client, server);

            Assert.Equal(DtlsState.Connected, server.State);
            Assert.Equal(0, server.DroppedDatagrams);
        }
    }

    [Fact]
    public async Task Handshake_GarbageDtlsLookingDatagramsInjected_StillCompletes()
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            await using var server = new DtlsTransport(b, ServerCertificate, DtlsRole.Server, [ClientCertificate.Fingerprint], Fast());
            Task accepted = server.StartAsync();
            var random = new Random(7);
            for (int i = 0; i < 50; i++)
            {
                var garbage = new byte[random.Next(1, 300)];
                random.NextBytes(garbage);
                garbage[0] = (byte)random.Next(20, 64); // routed to DTLS by its first byte
                a.Send(garbage);
            }

            await using var client = new DtlsTransport(a, ClientCertificate, DtlsRole.Client, [ServerCertificate.Fingerprint], Fast());
            await Task.WhenAll(accepted, client.StartAsync()).WaitAsync(TestTimeout);

            Assert.Equal(client.ExportedKeyingMaterial, server.ExportedKeyingMaterial);
        }
    }

    [Fact]
    public async Task DisposeAsync_Connected_EndsClosedNeverFailed()
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            var client = new DtlsTransport(a, ClientCertificate, DtlsRole.Client, [ServerCertificate.Fingerprint], Fast());
            await using var server = new DtlsTransport(b, ServerCertificate, DtlsRole.Server, [ClientCertificate.Fingerprint], Fast());
            var states = new List<DtlsState>();
            client.StateChanged += state => { lock (states) { states.Add(state); } };
            await ConnectAsync(client, server);

            await client.DisposeAsync().AsTask().WaitAsync(TestTimeout);
            await client.DisposeAsync(); // idempotent

            lock (states)
            {
                Assert.Equal([DtlsState.Connecting, DtlsState.Connected, DtlsState.Closed], states);
            }

            Assert.Throws<InvalidOperationException>(() => client.Send("after close"u8));
            await Assert.ThrowsAsync<ObjectDisposedException>(() => client.StartAsync());
        }
    }

    [Fact]
    public async Task Connected_GarbageRecordsInjected_DiscardedAndDataStillFlows()
    {
        (UdpDatagramTransport a, UdpDatagramTransport b) = UdpDatagramTransport.CreatePair();
        using (a)
        using (b)
        {
            await using var client = new DtlsTransport(a, ClientCertificate, DtlsRole.Client, [ServerCertificate.Fingerprint], Fast());
            await using var server = new DtlsTransport(b, ServerCertificate, DtlsRole.Server, [ClientCertificate.Fingerprint], Fast());
            var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            server.DataReceived += data => received.TrySetResult(data.ToArray());
            await ConnectAsync(client, server);

            // Forged records, including well-formed application-data headers with epoch 1 (RFC 6347
            // §4.1.2.7: records that fail to decrypt are silently discarded).
            var random = new Random(11);
            for (int i = 0; i < 100; i++)
            {
                var garbage = new byte[random.Next(13, 200)];
                random.NextBytes(garbage);
                garbage[0] = (byte)(i % 2 == 0 ? 23 : random.Next(20, 64));
                garbage[1] = 0xFE;
                garbage[2] = 0xFD;
                garbage[3] = 0;
                garbage[4] = 1;
                a.Send(garbage);
            }

            client.Send("still here"u8);

            Assert.Equal("still here"u8.ToArray(), await received.Task.WaitAsync(TestTimeout));
            Assert.Equal(DtlsState.Connected, server.State);
        }
    }
}
