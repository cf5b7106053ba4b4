using Odyssey.WebRtc.Srtp;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using BcDtlsTransport = Org.BouncyCastle.Tls.DtlsTransport;

namespace Odyssey.WebRtc.Dtls;

/// <summary>
/// DTLS 1.2 over one <see cref="IDatagramTransport"/> (the selected ICE pair), as WebRTC uses it
/// (RFC 5763/5764, RFC 8827): both sides present self-signed certificates that must match the SDP
/// fingerprints, use_srtp yields the SRTP master keys, and application data (SCTP) flows afterwards.
/// </summary>
/// <remarks>
/// The transport subscribes to <see cref="IDatagramTransport.Received"/> and takes only DTLS records
/// (first byte 20..63, RFC 7983); STUN and SRTP on the same socket are left to their owners. The
/// BouncyCastle engine is blocking, so the handshake and the receive loop run on dedicated threads;
/// <see cref="DataReceived"/> and <see cref="StateChanged"/> are raised on them.
/// </remarks>
public sealed class DtlsTransport : IAsyncDisposable
{
    /// <summary>How long the receive loop blocks per read; closing interrupts it at once.</summary>
    private const int ReceiveWaitMillis = 1000;

    private readonly IDatagramTransport _transport;
    private readonly DatagramAdapter _adapter;
    private readonly DtlsHandshakeContext _handshake;
    private readonly Lock _sendGate = new();
    private readonly DatagramHandler _onDatagram;
    private BcDtlsTransport? _dtls;
    private Task? _handshakeTask;
    private Task? _receiveTask;
    private int _state = (int)DtlsState.New;
    private int _disposed;
    private bool _stopping; // we closed the adapter ourselves (dispose or cancel); BouncyCastle also closes it on failure

    /// <summary>
    /// Prepares a DTLS association; nothing is sent before <see cref="StartAsync"/>, but DTLS datagrams
    /// arriving from now on are queued (a peer's ClientHello may beat our own start).
    /// </summary>
    /// <param name="transport">The datagram path to the peer.</param>
    /// <param name="localCertificate">Our certificate; its fingerprint is in our SDP.</param>
    /// <param name="role">Client or server, from a=setup (<see cref="DtlsRoles.FromLocalSetup"/>).</param>
    /// <param name="remoteFingerprints">The peer's a=fingerprint values; its certificate must match one.</param>
    /// <param name="options">Timeouts and SRTP profiles; defaults if null.</param>
    public DtlsTransport(
        IDatagramTransport transport,
        DtlsCertificate localCertificate,
        DtlsRole role,
        IReadOnlyList<DtlsFingerprint> remoteFingerprints,
        DtlsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(localCertificate);
        ArgumentNullException.ThrowIfNull(remoteFingerprints);
        if (remoteFingerprints.Count == 0)
        {
            throw new ArgumentException("At least one remote a=fingerprint is needed to authenticate the DTLS peer.", nameof(remoteFingerprints));
        }

        options ??= new DtlsOptions();
        options.Validate();
        _transport = transport;
        Role = role;
        _adapter = new DatagramAdapter(transport, options.ReceiveQueueCapacity);
        _handshake = new DtlsHandshakeContext(localCertificate, [.. remoteFingerprints], options, new DtlsCrypto(new SecureRandom()));
        _onDatagram = OnDatagram;
        transport.Received += _onDatagram;
    }

    /// <summary>Our side of the handshake.</summary>
    public DtlsRole Role { get; }

    /// <summary>Current state.</summary>
    public DtlsState State => (DtlsState)Volatile.Read(ref _state);

    /// <summary>Raised on each state change, on the thread that caused it.</summary>
    public event Action<DtlsState>? StateChanged;

    /// <summary>Raised for each application-data record (SCTP in WebRTC); the span is valid only during the call.</summary>
    public event DatagramHandler? DataReceived;

    /// <summary>The SRTP profile use_srtp agreed on; null if the peer negotiated none (data channels only).</summary>
    public SrtpProfile? SrtpProfile { get; private set; }

    /// <summary>The master key we protect our SRTP with (the client's key if we are the client).</summary>
    public SrtpMasterKey? LocalSrtpKey { get; private set; }

    /// <summary>The master key the peer protects its SRTP with.</summary>
    public SrtpMasterKey? RemoteSrtpKey { get; private set; }

    /// <summary>The a=fingerprint value the peer's certificate matched.</summary>
    public DtlsFingerprint? RemoteFingerprint => _handshake.RemoteFingerprint;

    /// <summary>DTLS datagrams dropped because the engine's queue was full.</summary>
    public long DroppedDatagrams => _adapter.Dropped;

    /// <summary>Largest application message <see cref="Send"/> takes once connected.</summary>
    public int MaxMessageSize => _dtls?.GetSendLimit() ?? 0;

    /// <summary>The 60 or 56 bytes of "EXTRACTOR-dtls_srtp" output (tests compare them with the peer's).</summary>
    internal byte[]? ExportedKeyingMaterial => _handshake.ExportedKeyingMaterial;

    /// <summary>
    /// Runs the handshake; completes when connected. Fails with <see cref="DtlsHandshakeException"/>
    /// (state <see cref="DtlsState.Failed"/>), or <see cref="OperationCanceledException"/> if cancelled
    /// (state <see cref="DtlsState.Closed"/>).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _state, (int)DtlsState.Connecting, (int)DtlsState.New) != (int)DtlsState.New)
        {
            throw new InvalidOperationException($"DtlsTransport.StartAsync was already called (state {State}).");
        }

        StateChanged?.Invoke(DtlsState.Connecting);
        _handshakeTask = Task.Factory.StartNew(RunHandshake, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        using (cancellationToken.Register(static self => ((DtlsTransport)self!).Stop(), this))
        {
            try
            {
                await _handshakeTask.ConfigureAwait(false);
            }
            catch (DtlsHandshakeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("The DTLS handshake was cancelled.", cancellationToken);
            }
        }
    }

    /// <summary>Sends one application-data record (at most <see cref="MaxMessageSize"/> bytes).</summary>
    public void Send(ReadOnlySpan<byte> data)
    {
        BcDtlsTransport dtls = State == DtlsState.Connected && _dtls is not null
            ? _dtls
            : throw new InvalidOperationException($"DtlsTransport.Send needs a connected transport (state {State}).");
        if (data.Length > dtls.GetSendLimit())
        {
            throw new ArgumentException(
                $"DTLS application data of {data.Length} bytes exceeds the record limit of {dtls.GetSendLimit()} bytes.", nameof(data));
        }

        lock (_sendGate)
        {
            try
            {
                dtls.Send(data);
            }
            catch (Exception exception) when (exception is IOException or TlsException)
            {
                SetState(DtlsState.Failed);
                throw new InvalidOperationException("DTLS send failed; the association is broken.", exception);
            }
        }
    }

    /// <summary>Sends close_notify if connected, stops the threads and detaches from the datagram transport.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Before close_notify: BouncyCastle closes the adapter after sending it, and the receive loop must
        // read that as our own close, not as the association failing.
        Volatile.Write(ref _stopping, true);
        _transport.Received -= _onDatagram;
        if (State == DtlsState.Connected && _dtls is not null)
        {
            lock (_sendGate)
            {
                try
                {
                    _dtls.Close(); // close_notify (RFC 5246 §7.2.1), then closes the adapter
                }
                catch (Exception exception) when (exception is IOException or TlsException)
                {
                    // The peer may already be gone; closing is best effort.
                }
            }
        }

        Stop();
        await IgnoreFailure(_handshakeTask).ConfigureAwait(false);
        await IgnoreFailure(_receiveTask).ConfigureAwait(false);
        _adapter.Release();
        if (State != DtlsState.Failed)
        {
            SetState(DtlsState.Closed);
        }
    }

    private void Stop()
    {
        Volatile.Write(ref _stopping, true);
        _adapter.Close();
    }

    private void OnDatagram(ReadOnlySpan<byte> datagram)
    {
        if (DatagramDemux.IsDtls(datagram))
        {
            _adapter.Enqueue(datagram);
        }
    }

    private void RunHandshake()
    {
        try
        {
            _dtls = Role == DtlsRole.Client
                ? new DtlsClientProtocol().Connect(new DtlsClientPeer(_handshake), _adapter)
                // No cookie exchange: ICE connectivity checks have already proven the peer's address.
                : new DtlsServerProtocol { VerifyRequests = false }.Accept(new DtlsServerPeer(_handshake), _adapter);
        }
        catch (Exception exception) when (exception is not DtlsHandshakeException)
        {
            DtlsHandshakeException failure = Translate(exception);
            // Stopped by us (dispose, cancel) is a close; anything else is a failure.
            SetState(failure.Reason == DtlsFailureReason.Closed ? DtlsState.Closed : DtlsState.Failed);
            throw failure;
        }

        if (_handshake.SrtpProfile is { } profile && _handshake.ExportedKeyingMaterial is { } material)
        {
            SrtpProfile = profile;
            (SrtpMasterKey client, SrtpMasterKey server) = SrtpMasterKey.FromDtlsExport(profile, material);
            LocalSrtpKey = Role == DtlsRole.Client ? client : server;
            RemoteSrtpKey = Role == DtlsRole.Client ? server : client;
        }

        if (Interlocked.CompareExchange(ref _state, (int)DtlsState.Connected, (int)DtlsState.Connecting) != (int)DtlsState.Connecting)
        {
            _dtls.Close();
            throw new DtlsHandshakeException(DtlsFailureReason.Closed, "The DTLS transport was closed during the handshake.");
        }

        StateChanged?.Invoke(DtlsState.Connected);
        _receiveTask = Task.Factory.StartNew(ReceiveLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void ReceiveLoop()
    {
        BcDtlsTransport dtls = _dtls!;
        var buffer = new byte[Math.Max(dtls.GetReceiveLimit(), 1)];
        while (!_adapter.IsClosed)
        {
            int length;
            try
            {
                length = dtls.Receive(buffer, 0, buffer.Length, ReceiveWaitMillis);
            }
            catch (Exception) when (_adapter.IsClosed || _handshake.PeerClosed)
            {
                break;
            }
            catch (Exception exception) when (exception is IOException or TlsException)
            {
                SetState(DtlsState.Failed);
                return;
            }

            if (length < 0)
            {
                if (_handshake.PeerClosed)
                {
                    break;
                }

                continue;
            }

            try
            {
                DataReceived?.Invoke(buffer.AsSpan(0, length));
            }
#pragma warning disable CA1031 // A subscriber's bug must not kill the association's only reader.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        if (_handshake.PeerClosed)
        {
            SetState(DtlsState.Closed);
        }
        else if (!Volatile.Read(ref _stopping))
        {
            SetState(DtlsState.Failed); // the engine gave up on the association (fatal alert, broken record layer)
        }
    }

    private DtlsHandshakeException Translate(Exception exception)
    {
        string role = Role == DtlsRole.Client ? "client" : "server";
        if (_handshake.FailureReason is { } reason)
        {
            return new DtlsHandshakeException(reason, $"DTLS handshake ({role}) failed: {_handshake.FailureDetail}.", exception);
        }

        if (Volatile.Read(ref _stopping))
        {
            return new DtlsHandshakeException(DtlsFailureReason.Closed, $"DTLS handshake ({role}) stopped: the transport was closed.", exception);
        }

        return exception switch
        {
            TlsTimeoutException => new DtlsHandshakeException(
                DtlsFailureReason.Timeout,
                $"DTLS handshake ({role}) timed out after {_handshake.Options.HandshakeTimeout.TotalSeconds:0.#} s.",
                exception),
            TlsFatalAlertReceived received => new DtlsHandshakeException(
                DtlsFailureReason.AlertReceived,
                $"DTLS handshake ({role}) failed: the peer sent alert {AlertDescription.GetText(received.AlertDescription)}.",
                exception) { Alert = received.AlertDescription },
            TlsFatalAlert alert => new DtlsHandshakeException(
                DtlsFailureReason.ProtocolError,
                $"DTLS handshake ({role}) failed: {AlertDescription.GetText(alert.AlertDescription)}{Cause(alert)}.",
                exception) { Alert = alert.AlertDescription },
            _ => new DtlsHandshakeException(
                DtlsFailureReason.ProtocolError, $"DTLS handshake ({role}) failed: {exception.Message}", exception),
        };
    }

    private static string Cause(Exception exception) =>
        exception.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : string.Empty;

    private void SetState(DtlsState state)
    {
        int previous = Interlocked.Exchange(ref _state, (int)state);
        if (previous != (int)state)
        {
            StateChanged?.Invoke(state);
        }
    }

    private static async Task IgnoreFailure(Task? task)
    {
        if (task is null)
        {
            return;
        }

        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is DtlsHandshakeException or OperationCanceledException)
        {
            // Already reported through StartAsync and the state.
        }
    }
}
