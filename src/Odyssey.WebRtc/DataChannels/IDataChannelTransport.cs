using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.DataChannels;

/// <summary>
/// What data channels need from the SCTP association: per-stream send, buffered and abandoned counts, and
/// stream reset. An interface so the DCEP and channel state machine can be tested over an in-memory pair
/// without SCTP; SctpChannelTransport is the real one.
/// </summary>
internal interface IDataChannelTransport
{
    /// <summary>Queues one whole message on a stream (copied). Throws if too large or not established.</summary>
    void Send(ushort streamId, uint ppid, ReadOnlySpan<byte> payload, SctpSendOptions options);

    /// <summary>Bytes queued or in flight on a stream.</summary>
    long BufferedAmount(ushort streamId);

    /// <summary>Messages of a stream given up by partial reliability.</summary>
    long AbandonedMessages(ushort streamId);

    /// <summary>Resets our outgoing stream (RFC 6525) once what is queued on it is sent.</summary>
    void ResetStream(ushort streamId);
}
