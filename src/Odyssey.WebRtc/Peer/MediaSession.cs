using System.Diagnostics;
using Odyssey.Media;
using Odyssey.WebRtc.Dtls;
using Odyssey.WebRtc.Rtp;
using Odyssey.WebRtc.Srtp;

namespace Odyssey.WebRtc;

/// <summary>
/// The media plane of a connection once DTLS has keyed SRTP: SRTP in both directions, the receive stream
/// of the remote video, the send stream of ours, and the RTCP tick. One lock serialises the RTP state
/// (the streams are single-threaded by design, Rtp/README.md) between the socket's receive thread, the
/// tick and callers of <see cref="SendFrame"/>.
/// </summary>
internal sealed class MediaSession : IAsyncDisposable
{
    /// <summary>
    /// The tick checks NACK/PLI due times, wall-time give-ups in the jitter buffer and the pacer. 10 ms keeps
    /// a NACK within a few ms of the reorder delay without costing anything measurable.
    /// </summary>
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Largest datagram we handle: an Ethernet MTU's worth; anything bigger is not WebRTC RTP.</summary>
    private const int DatagramBufferSize = 1500;

    /// <summary>The first reports go out soon after keys exist, so the sender learns our SSRC and the RTT early.</summary>
    private static readonly TimeSpan FirstReportDelay = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly IDatagramTransport _transport;
    private readonly SrtpContext _inbound;
    private readonly SrtpContext _outbound;
    private readonly RtpReceiveStream? _receive;
    private readonly RemoteVideoTrack? _remoteTrack;
    private readonly RtpSendStream? _send;
    private readonly LocalVideoTrack? _localTrack;
    private readonly TimeSpan _rtcpInterval;
    private readonly long _epoch;
    private readonly byte[] _receiveBuffer = new byte[DatagramBufferSize];
    private readonly byte[] _sendBuffer;
    private readonly byte[] _rtcpBuffer = new byte[DatagramBufferSize];
    private readonly CancellationTokenSource _stopping = new();
    private Task? _tick;
    private TimeSpan _nextReport;
    private bool _keyframeWanted;
    private long _consumerDrops;
    private long _framesSent;
    private bool _disposed;
    private Random? _loss;

    public MediaSession(
        IDatagramTransport transport,
        SrtpMasterKey localKey,
        SrtpMasterKey remoteKey,
        RtpReceiveStreamOptions? receive,
        RemoteVideoTrack? remoteTrack,
        RtpSendStreamOptions? send,
        LocalVideoTrack? localTrack,
        EncodedPacketPool pool,
        TimeSpan rtcpInterval,
        long epoch)
    {
        _transport = transport;
        _inbound = new SrtpContext(remoteKey);
        _outbound = new SrtpContext(localKey);
        _rtcpInterval = rtcpInterval;
        _epoch = epoch;
        if (receive is not null && remoteTrack is not null)
        {
            _receive = new RtpReceiveStream(receive, pool);
            _remoteTrack = remoteTrack;
        }

        var sendSize = DatagramBufferSize;
        if (send is not null && localTrack is not null)
        {
            _send = new RtpSendStream(send, SendPlainRtp);
            _send.KeyframeRequested += (_, _) => _keyframeWanted = true; // raised under _gate; surfaced after it
            _localTrack = localTrack;
            sendSize = Math.Max(sendSize, send.MaxPayloadSize + 128 + _outbound.RtpOverhead);
        }

        _sendBuffer = new byte[sendSize];
        _nextReport = Now + FirstReportDelay;
    }

    /// <summary>PeerConnectionOptions.SendLossRate: the fraction of outgoing RTP dropped before the wire (a fault for tests).</summary>
    public double SendLossRate
    {
        get;
        init
        {
            field = value;
            _loss = value > 0 ? new Random() : null;
        }
    }

    public SrtpStatistics InboundSrtp => _inbound.Statistics;

    public SrtpStatistics OutboundSrtp => _outbound.Statistics;

    private TimeSpan Now => Stopwatch.GetElapsedTime(_epoch);

    public void Start()
    {
        _remoteTrack?.Attach(this);
        if (_localTrack is not null)
        {
            _localTrack.Attach(this);
            _localTrack.RaiseKeyframeRequested(); // the receiver can decode nothing before a keyframe
        }

        _tick = Task.Run(TickLoopAsync);
    }

    public (RtpReceiveStats Stats, long ConsumerDrops)? ReceiveStats
    {
        get
        {
            lock (_gate)
            {
                return _receive is null ? null : (_receive.Stats, _consumerDrops);
            }
        }
    }

    public (RtpSendStats Stats, long FramesSent)? SendStats
    {
        get
        {
            lock (_gate)
            {
                return _send is null ? null : (_send.Stats, _framesSent);
            }
        }
    }

    /// <summary>One RTP or RTCP datagram from the selected pair (the socket's receive thread).</summary>
    public void OnDatagram(ReadOnlySpan<byte> datagram, DatagramKind kind)
    {
        if (datagram.Length > DatagramBufferSize)
        {
            return; // cannot be ours; SRTP would reject it anyway
        }

        bool keyframe;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var buffer = _receiveBuffer.AsSpan(0, datagram.Length);
            datagram.CopyTo(buffer);
            var now = Now;
            if (kind == DatagramKind.Rtp)
            {
                if (_inbound.UnprotectRtp(buffer, out var length) != SrtpError.None)
                {
                    return; // counted by the SRTP context (authentication, replay, too old)
                }

                if (_receive is not null && _receive.ReceiveRtp(buffer[..length], now))
                {
                    DrainFrames(now);
                }
            }
            else
            {
                if (_inbound.UnprotectRtcp(buffer, out var length) != SrtpError.None)
                {
                    return;
                }

                _receive?.ReceiveRtcp(buffer[..length], now);
                if (_send is not null)
                {
                    _send.ReceiveRtcp(buffer[..length], now);
                    if (_receive is not null && _send.Stats.RoundTripTime is { } rtt)
                    {
                        _receive.SetRoundTripTime(rtt);
                    }

                    _send.Flush(now); // retransmissions answer a NACK at once
                }
            }

            keyframe = _keyframeWanted;
            _keyframeWanted = false;
        }

        if (keyframe)
        {
            _localTrack?.RaiseKeyframeRequested();
        }
    }

    public void RequestKeyframe()
    {
        lock (_gate)
        {
            _receive?.RequestKeyframe();
        }
    }

    public bool SendFrame(EncodedPacket frame)
    {
        lock (_gate)
        {
            if (_disposed || _send is null)
            {
                return false;
            }

            var now = Now;
            _send.SendFrame(frame, now);
            _send.Flush(now);
            _framesSent++;
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_tick is not null)
        {
            await _tick.ConfigureAwait(false);
        }

        _remoteTrack?.Close();
        _localTrack?.Attach(null);
        lock (_gate)
        {
            _inbound.Dispose();
            _outbound.Dispose();
        }

        _stopping.Dispose();
    }

    private async Task TickLoopAsync()
    {
        using var timer = new PeriodicTimer(TickInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                Tick();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = Now;
            var report = now >= _nextReport;
            if (report)
            {
                _nextReport = now + _rtcpInterval;
            }

            if (_receive is not null)
            {
                DrainFrames(now); // frames given up by wall time release the ones behind them
                var length = _receive.WriteRtcp(_rtcpBuffer.AsSpan(0, _rtcpBuffer.Length - _outbound.RtcpOverhead), now, report);
                SendRtcp(length);
            }

            if (_send is not null)
            {
                _send.Flush(now);
                if (report)
                {
                    var length = _send.WriteSenderReport(_rtcpBuffer.AsSpan(0, _rtcpBuffer.Length - _outbound.RtcpOverhead), DateTime.UtcNow, now);
                    SendRtcp(length);
                }
            }
        }
    }

    /// <summary>Hands every frame the jitter buffer has ready to the track; a full queue drops the frame and asks for a keyframe.</summary>
    private void DrainFrames(TimeSpan now)
    {
        while (_receive!.TryGetFrame(now, out var frame))
        {
            if (!_remoteTrack!.Writer.TryWrite(frame))
            {
                // The consumer is behind: a dropped delta frame breaks every later one until a keyframe.
                frame.Release();
                _consumerDrops++;
                _receive.RequestKeyframe();
            }
        }
    }

    private void SendRtcp(int length)
    {
        if (length <= 0)
        {
            return;
        }

        if (_outbound.ProtectRtcp(_rtcpBuffer, length, out var protectedLength) == SrtpError.None)
        {
            _transport.Send(_rtcpBuffer.AsSpan(0, protectedLength));
        }
    }

    /// <summary>The send stream's output (called under _gate): protect a copy and send it.</summary>
    private void SendPlainRtp(ReadOnlySpan<byte> packet)
    {
        if (packet.Length + _outbound.RtpOverhead > _sendBuffer.Length)
        {
            return;
        }

        if (_loss is not null && _loss.NextDouble() < SendLossRate)
        {
            return;
        }

        packet.CopyTo(_sendBuffer);
        if (_outbound.ProtectRtp(_sendBuffer, packet.Length, out var protectedLength) == SrtpError.None)
        {
            _transport.Send(_sendBuffer.AsSpan(0, protectedLength));
        }
    }
}
