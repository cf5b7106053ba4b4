"""aiortc 1.4 as the baseline Odyssey receiver for the client latency benchmark (issue 7).

The harness does the HTTP and signalling steps and relays them here as JSON lines on stdin/stdout; the
whole media path is aiortc's, as in the official Python client: {"offer": sdp} -> {"answer": sdp};
{"candidate": ..., "sdpMid": ...} are added; when `clientToStreamer` opens, `interactive_stream_start` is
sent on it. Every decoded frame is converted to RGB (what the Python client hands its users), its stamp
(Odyssey.Media FrameIndexCode: 16x3 cells in the top quarter, white/black references, 32-bit index, CRC-8
whitened with 0x5A, markers 101100) read, and {"frame": index, "t": unix seconds} printed. {"stop": true} ends.
Only 127.0.0.1 is gathered, no STUN: nothing leaves the machine.
"""
import asyncio
import json
import sys
import time

import aioice.ice
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

COLUMNS, ROWS, DIVISIONS = 16, 3, 12
MARKERS = [1, 0, 1, 1, 0, 0]


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def receive():
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return json.loads(line) if line else {"stop": True}


def crc8(value):
    crc = 0
    for shift in (24, 16, 8, 0):
        crc ^= (value >> shift) & 0xFF
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc ^ 0x5A


def read_stamp(rgb):
    h, w, _ = rgb.shape
    means = []
    for cell in range(COLUMNS * ROWS):
        col, row = cell % COLUMNS, cell // COLUMNS
        left, top, right, bottom = col * w // COLUMNS, row * h // DIVISIONS, (col + 1) * w // COLUMNS, (row + 1) * h // DIVISIONS
        dx, dy = (right - left) // 4, (bottom - top) // 4
        patch = rgb[top + dy:max(top + dy + 1, bottom - dy), left + dx:max(left + dx + 1, right - dx)]
        means.append(float(patch.mean()))
    white, black = means[0], means[1]
    if white - black < 64:
        return None
    middle = (white + black) / 2
    bits = [m > middle for m in means]
    if [int(b) for b in bits[-6:]] != MARKERS:
        return None
    value = 0
    for b in bits[2:34]:
        value = (value << 1) | int(b)
    check = 0
    for b in bits[34:42]:
        check = (check << 1) | int(b)
    return value if check == crc8(value) else None


async def main():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    done = asyncio.Event()

    @pc.on("datachannel")
    def on_datachannel(channel):
        if channel.label != "clientToStreamer":
            return

        def start():
            channel.send(json.dumps({"type": "interactive_stream_start", "prompt": "latency", "portrait": False, "broadcast": False}))

        if channel.readyState == "open":
            start()
        else:
            channel.on("open", start)

    @pc.on("track")
    def on_track(track):
        if track.kind != "video":
            return

        async def consume():
            try:
                while not done.is_set():
                    frame = await track.recv()
                    rgb = frame.to_ndarray(format="rgb24")
                    t = time.time()
                    index = read_stamp(rgb)
                    if index is not None:
                        send({"frame": index, "t": t})
            except MediaStreamError:
                pass

        asyncio.ensure_future(consume())

    while True:
        message = await receive()
        if "offer" in message:
            await pc.setRemoteDescription(RTCSessionDescription(message["offer"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            send({"answer": pc.localDescription.sdp})
        elif "candidate" in message:
            text = message["candidate"]
            if text.startswith("candidate:"):
                text = text[len("candidate:"):]
            if text:
                candidate = candidate_from_sdp(text)
                candidate.sdpMid = message.get("sdpMid")
                candidate.sdpMLineIndex = message.get("sdpMLineIndex")
                await pc.addIceCandidate(candidate)
        elif message.get("stop"):
            break
    done.set()
    await pc.close()
    send({"stopped": True})


asyncio.run(main())
