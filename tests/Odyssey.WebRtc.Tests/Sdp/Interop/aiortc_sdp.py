"""Lets aiortc judge our SDP: one JSON object per line on stdin/stdout.

  offer-to-us CODEC [audio] : aiortc offers [audio and] video (sendonly) + a data channel; prints {"offer": sdp}, reads {"answer": sdp},
                 applies it and prints {"ok": true, "codec": ..., "dtls_role": ..., "sctp_port": ...} or {"ok": false, "error": ...}
  answer-to-us : reads {"offer": sdp} (ours), applies it, prints {"ok": true, "answer": sdp, "codec": ...} or an error

Only 127.0.0.1 is gathered and no STUN server is used, so nothing leaves the machine.
"""
import asyncio
import json
import sys

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

# aioice skips loopback when gathering (INTEROP-NOTES.md); loopback is all a test may use.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def receive():
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("stdin closed")
    return json.loads(line)


def video_codec(pc):
    for t in pc.getTransceivers():
        if t.kind == "video" and t._codecs:
            return t._codecs[0].mimeType
    return None


async def offer_to_us(codec, audio):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        if audio:
            pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        transceiver = pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
        if codec:
            from aiortc.rtcrtpsender import RTCRtpSender
            caps = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences([c for c in caps if c.mimeType in (codec, "video/rtx")])
        pc.createDataChannel("clientToStreamer")
        await pc.setLocalDescription(await pc.createOffer())
        send({"offer": pc.localDescription.sdp})
        answer = receive()["answer"]
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        except Exception as e:  # report, do not crash: the test prints aiortc's reason
            send({"ok": False, "error": f"{type(e).__name__}: {e}"})
            return
        dtls = pc.sctp.transport if pc.sctp else None
        send({
            "ok": True,
            "codec": video_codec(pc),
            "dtls_role": dtls._role if dtls else None,
            "sctp_port": pc._RTCPeerConnection__sctpRemotePort,
        })
    finally:
        await pc.close()


async def answer_to_us():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        offer = receive()["offer"]
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as e:
            send({"ok": False, "error": f"{type(e).__name__}: {e}"})
            return
        send({"ok": True, "answer": pc.localDescription.sdp, "codec": video_codec(pc)})
    finally:
        await pc.close()


if __name__ == "__main__":
    mode = sys.argv[1]
    codec = sys.argv[2] if len(sys.argv) > 2 else None
    audio = len(sys.argv) > 3 and sys.argv[3] == "audio"
    asyncio.run(offer_to_us(codec, audio) if mode == "offer-to-us" else answer_to_us())
