"""aiortc 1.4 as the far end of the data-channel interop tests and benchmark; JSON lines on stdin/stdout.

  offer  [lossy] [big=N] [sendbig=M] : streams stamped video (as aiortc_video_peer.py does) and creates the Odyssey channels
                   clientToStreamer and streamerToClient (and, with "lossy", an unordered maxRetransmits=0
                   channel "lossy"); prints {"offer": sdp}, reads {"answer": sdp}.
  answer         : reads {"offer": sdp}, answers, prints {"answer": sdp}; the channels come from the peer.
  bench SIZE N   : aiortc <-> aiortc on loopback, one reliable ordered channel, N messages of SIZE bytes;
                   prints {"bench": ..., "seconds": s}.
  sink           : for benchmarks (DataChannelBenchmarks.cs): answers {"offer": sdp}; on every channel,
                   answers the string "end" with "ack" (all before it has arrived: the channel is ordered).
  pair SIZE N    : for benchmarks: two aiortc peers in this process, one channel; prints {"ready": true},
                   then for each "go" line sends N messages of SIZE bytes and "end", and prints {"done": n}
                   once the receiver's "ack" is back.

Exchange (offer/answer): the streamer (the offerer here) sends on streamerToClient, the other side on
clientToStreamer: SMALL strings "label:i" then BIG binary messages (pattern(j) below); the receiver checks
order and content. On "lossy" both sides send LOSSY strings of 1000 bytes and count what arrives. When
everything expected has arrived (or {"stop": true} comes), it prints {"report": {label: {...}}}.

aiortc advertises a=max-message-size:65536 but sends and reassembles larger messages (its SCTP has no
limit; checked by these tests). Unless "strict" is given, the SDP it prints advertises 262144 instead, so
a peer that honours the limit (ours) may send the 200 KiB messages issue 5 asks for.

Only 127.0.0.1 is gathered and no STUN server is used, so nothing leaves the machine.
"""
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aiortc_video_peer import StampedTrack, receive, send  # noqa: E402  (also patches aioice to loopback)

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription  # noqa: E402

SMALL = int(os.environ.get("DC_SMALL", "1000"))
BIG = int(os.environ.get("DC_BIG", "20"))
SEND_BIG = None  # big messages this side sends when not BIG (sendbig=M): aiortc's own sender is the weak link under loss
BIG_SIZE = 200 * 1024
LOSSY = int(os.environ.get("DC_LOSSY", "300"))
BASE = bytes(range(256)) * (BIG_SIZE // 256 + 2)


def pattern(j, size=BIG_SIZE):
    """Big message j: bytes (j + k) mod 256; the C# side (DataChannelExchange) builds the same."""
    start = j % 256
    return BASE[start:start + size]


def widen(sdp, strict):
    return sdp if strict else sdp.replace("a=max-message-size:65536", "a=max-message-size:262144")


class Exchange:
    def __init__(self, offerer):
        self.offerer = offerer
        self.stats = {}
        self.done = asyncio.Event()
        self.expected = set()

    def sends_on(self, label):
        return label == "lossy" or (label == "streamerToClient") == self.offerer

    def receives_on(self, label):
        return label == "lossy" or not self.sends_on(label)

    def attach(self, channel):
        label = channel.label
        if self.sends_on(label):
            if channel.readyState == "open":
                asyncio.ensure_future(self.pump(channel))
            else:
                channel.on("open", lambda: asyncio.ensure_future(self.pump(channel)))
        if self.receives_on(label):
            s = self.stats.setdefault(label, {"small": 0, "big": 0, "errors": []})
            self.expected.add(label)

            @channel.on("message")
            def on_message(message):
                if isinstance(message, str):
                    if label == "lossy":
                        s["small"] += 1
                    elif message != f"{label}:{s['small']}":
                        s["errors"].append(f"string {s['small']}: {message[:40]!r}")
                    else:
                        s["small"] += 1
                else:
                    if message != pattern(s["big"]):
                        s["errors"].append(f"binary {s['big']}: {len(message)} bytes differ")
                    s["big"] += 1
                self.check()

    def check(self):
        for label in self.expected:
            s = self.stats[label]
            if label != "lossy" and (s["small"] < SMALL or s["big"] < BIG):
                return  # the lossy channel is only counted: it may never be complete
        self.done.set()

    async def pump(self, channel):
        label = channel.label
        count = LOSSY if label == "lossy" else SMALL
        for i in range(count):
            channel.send(f"{label}:{i}" if label != "lossy" else "x" * 1000)
            if channel.bufferedAmount > 1 << 20:
                await asyncio.sleep(0.005)
        if label != "lossy":
            for j in range(BIG if SEND_BIG is None else SEND_BIG):
                channel.send(pattern(j))
                while channel.bufferedAmount > 1 << 20:
                    await asyncio.sleep(0.005)
        self.stats.setdefault(label, {"small": 0, "big": 0, "errors": []})["sent"] = count


async def run(pc, exchange, stop):
    waiter = asyncio.ensure_future(exchange.done.wait())
    await asyncio.wait([stop, waiter], return_when=asyncio.FIRST_COMPLETED)
    send({"report": exchange.stats, "state": pc.connectionState})


async def offer(lossy, strict):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    exchange = Exchange(offerer=True)
    try:
        pc.addTransceiver(StampedTrack(), direction="sendonly")
        labels = ["clientToStreamer", "streamerToClient"] + (["lossy"] if lossy else [])
        for label in labels:
            if label == "lossy":
                channel = pc.createDataChannel(label, ordered=False, maxRetransmits=0)
            else:
                channel = pc.createDataChannel(label)
            exchange.attach(channel)
        await pc.setLocalDescription(await pc.createOffer())
        send({"offer": widen(pc.localDescription.sdp, strict)})
        answer = (await receive())["answer"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        stop = asyncio.ensure_future(wait_stop())
        await run(pc, exchange, stop)
        await stop
    finally:
        await pc.close()


async def answer(strict):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    exchange = Exchange(offerer=False)

    @pc.on("datachannel")
    def on_datachannel(channel):
        exchange.attach(channel)

    try:
        offer_sdp = (await receive())["offer"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        send({"answer": widen(pc.localDescription.sdp, strict)})
        stop = asyncio.ensure_future(wait_stop())
        await run(pc, exchange, stop)
        await stop
    finally:
        await pc.close()


async def wait_stop():
    while not (await receive()).get("stop"):
        pass


async def bench(size, count):
    """aiortc to aiortc: one reliable ordered channel, count messages of size bytes, timed from open to last."""
    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    done = asyncio.Event()
    got = {"n": 0, "bytes": 0}
    payload = pattern(0, size)

    @b.on("datachannel")
    def on_datachannel(channel):
        @channel.on("message")
        def on_message(message):
            got["n"] += 1
            got["bytes"] += len(message)
            if got["n"] == count:
                done.set()

    channel = a.createDataChannel("bench")
    opened = asyncio.Event()
    channel.on("open", opened.set)
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    await asyncio.wait_for(opened.wait(), 30)
    start = time.perf_counter()
    for _ in range(count):
        channel.send(payload)
        while channel.bufferedAmount > 1 << 20:
            await asyncio.sleep(0.001)
    await asyncio.wait_for(done.wait(), 600)
    seconds = time.perf_counter() - start
    send({"bench": "aiortc-aiortc", "size": size, "count": count, "bytes": got["bytes"], "seconds": seconds})
    await a.close()
    await b.close()


async def sink():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

    @pc.on("datachannel")
    def on_datachannel(channel):
        @channel.on("message")
        def on_message(message):
            if message == "end":
                channel.send("ack")

    try:
        offer_sdp = (await receive())["offer"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        send({"answer": widen(pc.localDescription.sdp, False)})
        await wait_stop()
    finally:
        await pc.close()


async def pair(size, count):
    a = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    b = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    acked = asyncio.Queue()

    @b.on("datachannel")
    def on_datachannel(channel):
        @channel.on("message")
        def on_message(message):
            if message == "end":
                channel.send("ack")

    channel = a.createDataChannel("bench")
    opened = asyncio.Event()
    channel.on("open", opened.set)
    channel.on("message", lambda m: acked.put_nowait(m))
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    await asyncio.wait_for(opened.wait(), 30)
    payload = pattern(0, size)
    send({"ready": True})
    rounds = 0
    while True:
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        if line.strip() != "go":
            break
        for _ in range(count):
            channel.send(payload)
            while channel.bufferedAmount > 1 << 20:
                await asyncio.sleep(0.001)
        channel.send("end")
        await acked.get()
        rounds += 1
        send({"done": rounds})
    await a.close()
    await b.close()


def main():
    global BIG, SEND_BIG
    mode = sys.argv[1]
    flags = sys.argv[2:]
    for flag in flags:
        if flag.startswith("big="):
            BIG = int(flag[4:])
        elif flag.startswith("sendbig="):
            SEND_BIG = int(flag[8:])
    if mode == "offer":
        asyncio.run(offer("lossy" in flags, "strict" in flags))
    elif mode == "answer":
        asyncio.run(answer("strict" in flags))
    elif mode == "sink":
        asyncio.run(sink())
    elif mode == "pair":
        asyncio.run(pair(int(sys.argv[2]), int(sys.argv[3])))
    else:
        asyncio.run(bench(int(sys.argv[2]), int(sys.argv[3])))


if __name__ == "__main__":
    main()
