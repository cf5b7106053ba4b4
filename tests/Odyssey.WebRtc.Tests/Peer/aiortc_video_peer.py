"""aiortc 1.4 as the far end of the PeerConnection interop tests; one JSON object per line on stdin/stdout.

  offer CODEC [audio] : offers sendonly video (CODEC forced: video/H264 or video/VP8), audio too when asked,
                        and a data channel; prints {"offer": sdp}, reads {"answer": sdp}, then sends stamped
                        frames until {"stop": true} arrives; prints {"sent": n, "state": ...}.
  answer COUNT        : reads {"offer": sdp}, answers (receive only), prints {"answer": sdp}; decodes the
                        video and reads each frame's stamp; prints {"received": [...], "state": ...} once
                        stamps 0..COUNT-1 are all in, or when {"stop": true} arrives.

The stamp (read back in C# by FrameStamp.cs): in the luma of a W x H frame, two rows of 16 cells, cell c of
row r spanning x in [c*W/16, (c+1)*W/16) and y in [r*H/8, (r+1)*H/8). Row 0: white, black, then the
index's 14 low bits (most significant first, white = 1). Row 1: the same 14 bits inverted, then black,
white. A reader takes each cell's inner mean, thresholds at the middle of the two references, and accepts
the stamp only when row 1 is the exact complement of row 0, so a damaged frame is rejected, not misread.

Only 127.0.0.1 is gathered and no STUN server is used, so nothing leaves the machine.
"""
import asyncio
import fractions
import json
import sys

import aioice.ice
import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.rtcrtpsender import RTCRtpSender

# aioice skips loopback when gathering (INTEROP-NOTES.md); loopback is all a test may use.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

WIDTH, HEIGHT = 320, 240
BITS = 14


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def receive():
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:
        return {"stop": True}
    return json.loads(line)


def cell(y, row, col):
    h, w = y.shape
    return slice(row * h // 8, (row + 1) * h // 8), slice(col * w // 16, (col + 1) * w // 16)


def draw(index, t):
    xs = np.arange(WIDTH)[None, :]
    ys = np.arange(HEIGHT)[:, None]
    y = (((xs + ys + 4 * t) % 64) * 2 + 60).astype(np.uint8)  # moving stripes, so the codec has work to do
    bits = [(index >> (BITS - 1 - k)) & 1 for k in range(BITS)]
    for col, bit in enumerate([1, 0] + bits):
        y[cell(y, 0, col)] = 255 if bit else 0
    for col, bit in enumerate([1 - b for b in bits] + [0, 1]):
        y[cell(y, 1, col)] = 255 if bit else 0
    planes = np.full((HEIGHT * 3 // 2, WIDTH), 128, np.uint8)
    planes[:HEIGHT] = y
    return av.VideoFrame.from_ndarray(planes, format="yuv420p")


def inner_mean(y, row, col):
    rs, cs = cell(y, row, col)
    r0, r1, c0, c1 = rs.start, rs.stop, cs.start, cs.stop
    dr, dc = (r1 - r0) // 4, (c1 - c0) // 4
    return float(y[r0 + dr:r1 - dr, c0 + dc:c1 - dc].mean())


def read(y):
    white, black = inner_mean(y, 0, 0), inner_mean(y, 0, 1)
    if white - black < 64:
        return None
    middle = (white + black) / 2
    row0 = [inner_mean(y, 0, c) > middle for c in range(2, 2 + BITS)]
    row1 = [inner_mean(y, 1, c) > middle for c in range(BITS)]
    if any(a == b for a, b in zip(row0, row1)) or inner_mean(y, 1, 14) > middle or inner_mean(y, 1, 15) < middle:
        return None
    value = 0
    for bit in row0:
        value = (value << 1) | int(bit)
    return value


class StampedTrack(VideoStreamTrack):
    def __init__(self):
        super().__init__()
        self.sent = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = draw(self.sent % (1 << BITS), self.sent)
        frame.pts = pts
        frame.time_base = time_base
        self.sent += 1
        return frame


async def offer(codec, audio):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    track = StampedTrack()
    try:
        if audio:
            pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        transceiver = pc.addTransceiver(track, direction="sendonly")
        caps = RTCRtpSender.getCapabilities("video").codecs
        transceiver.setCodecPreferences([c for c in caps if c.mimeType in (codec, "video/rtx")])
        pc.createDataChannel("clientToStreamer")
        await pc.setLocalDescription(await pc.createOffer())
        send({"offer": pc.localDescription.sdp})
        answer = (await receive())["answer"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        while not (await receive()).get("stop"):
            pass
        send({"sent": track.sent, "state": pc.connectionState})
    finally:
        await pc.close()


async def answer(count):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    received = set()
    done = asyncio.Event()

    async def consume(track):
        try:
            while True:
                frame = await track.recv()
                index = read(frame.to_ndarray(format="yuv420p")[: frame.height])
                if index is not None:
                    received.add(index)
                    if all(i in received for i in range(count)):
                        done.set()
        except MediaStreamError:
            pass

    @pc.on("track")
    def on_track(track):
        if track.kind == "video":
            asyncio.ensure_future(consume(track))

    try:
        offer_sdp = (await receive())["offer"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        send({"answer": pc.localDescription.sdp})
        stop = asyncio.ensure_future(receive())
        await asyncio.wait([stop, asyncio.ensure_future(done.wait())], return_when=asyncio.FIRST_COMPLETED)
        send({"received": sorted(received), "state": pc.connectionState})
        await stop
    finally:
        await pc.close()


def main():
    mode = sys.argv[1]
    if mode == "offer":
        asyncio.run(offer(sys.argv[2], "audio" in sys.argv[3:]))
    else:
        asyncio.run(answer(int(sys.argv[2])))


if __name__ == "__main__":
    main()
