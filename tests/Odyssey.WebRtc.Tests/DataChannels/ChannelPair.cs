using Odyssey.WebRtc.DataChannels;
using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.Tests.DataChannels;

/// <summary>
/// Two <see cref="DataChannelSet"/>s joined by an in-memory, lossless "association": sends are queued and
/// delivered only when the test calls <see cref="Pump"/>, so every step is deterministic. Records what went
/// on the wire (stream, PPID, bytes, options) and the stream resets asked for.
/// </summary>
internal sealed class ChannelPair
{
    public ChannelPair()
    {
        A = new DataChannelSet { MaxMessageSize = 262144 };
        B = new DataChannelSet { MaxMessageSize = 262144 };
        ToB = new End(this, A, () => B);
        ToA = new End(this, B, () => A);
    }

    public DataChannelSet A { get; }

    public DataChannelSet B { get; }

    /// <summary>A's transport: what A sends goes to B.</summary>
    public End ToB { get; }

    /// <summary>B's transport.</summary>
    public End ToA { get; }

    /// <summary>A is the DTLS client (even ids), B the server (odd).</summary>
    public void Start()
    {
        A.Start(ToB, dtlsClient: true);
        B.Start(ToA, dtlsClient: false);
    }

    /// <summary>Delivers everything queued both ways, including what delivery itself sends, until quiet.</summary>
    public int Pump()
    {
        var delivered = 0;
        while (ToB.TryDeliverOne() | ToA.TryDeliverOne())
        {
            delivered++;
        }

        return delivered;
    }

    internal sealed record Sent(ushort Stream, uint Ppid, byte[] Data, SctpSendOptions Options);

    internal sealed class End(ChannelPair pair, DataChannelSet from, Func<DataChannelSet> to) : IDataChannelTransport
    {
        private readonly Queue<(Sent? Message, ushort Reset)> _queue = new();
        private readonly Dictionary<ushort, long> _buffered = [];

        public List<Sent> Log { get; } = [];

        public List<ushort> Resets { get; } = [];

        public Dictionary<ushort, long> Abandoned { get; } = [];

        public bool Broken { get; set; }

        public void Send(ushort streamId, uint ppid, ReadOnlySpan<byte> payload, SctpSendOptions options)
        {
            if (Broken)
            {
                throw new InvalidOperationException("association gone");
            }

            var sent = new Sent(streamId, ppid, payload.ToArray(), options);
            lock (_queue)
            {
                Log.Add(sent);
                _queue.Enqueue((sent, 0));
                _buffered[streamId] = BufferedAmount(streamId) + payload.Length;
            }
        }

        public long BufferedAmount(ushort streamId)
        {
            lock (_queue)
            {
                return _buffered.GetValueOrDefault(streamId);
            }
        }

        public long AbandonedMessages(ushort streamId) => Abandoned.GetValueOrDefault(streamId);

        public void ResetStream(ushort streamId)
        {
            lock (_queue)
            {
                Resets.Add(streamId);
                _queue.Enqueue((null, streamId));
            }
        }

        /// <summary>Injects raw bytes as if the peer had sent them to <c>from</c>'s peer.</summary>
        public void Inject(ushort streamId, uint ppid, byte[] data)
        {
            lock (_queue)
            {
                _queue.Enqueue((new Sent(streamId, ppid, data, SctpSendOptions.Reliable), 0));
            }
        }

        public bool TryDeliverOne()
        {
            (Sent? Message, ushort Reset) next;
            lock (_queue)
            {
                if (!_queue.TryDequeue(out next))
                {
                    return false;
                }

                if (next.Message is { } m && _buffered.ContainsKey(m.Stream))
                {
                    _buffered[m.Stream] = Math.Max(0, _buffered[m.Stream] - m.Data.Length);
                }
            }

            if (next.Message is { } message)
            {
                to().OnMessage(message.Stream, message.Ppid, message.Data);
                from.OnBufferedAmountDecreased(message.Stream);
            }
            else
            {
                to().OnStreamReset(next.Reset);
            }

            _ = pair;
            return true;
        }
    }
}
