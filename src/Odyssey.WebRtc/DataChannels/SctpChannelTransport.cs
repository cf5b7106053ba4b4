using Odyssey.WebRtc.Sctp;

namespace Odyssey.WebRtc.DataChannels;

/// <summary>The channels' view of a real <see cref="SctpAssociation"/>.</summary>
internal sealed class SctpChannelTransport(SctpAssociation association) : IDataChannelTransport
{
    public void Send(ushort streamId, uint ppid, ReadOnlySpan<byte> payload, SctpSendOptions options) =>
        association.Send(streamId, ppid, payload, options);

    public long BufferedAmount(ushort streamId) => association.BufferedAmount(streamId);

    public long AbandonedMessages(ushort streamId) => association.AbandonedMessages(streamId);

    public void ResetStream(ushort streamId) => association.ResetStreams(new ReadOnlySpan<ushort>(in streamId));
}
