"""An Odyssey client built on aiortc 1.4 (what the official Python client uses), written from
PROTOCOL.md's client side, to run against the emulator: a peer we did not write checks that the emulator
speaks the protocol. Usage: odyssey_aiortc_client.py API_URL API_KEY [FRAMES]

Flow (PROTOCOL.md §2-§5): POST /auth/token -> GET /regions + ping -> POST /sessions/request (503: poll
every second) -> POST /sessions/token (JWT, session_id claim read unverified) -> GET <signalling>/config ->
WebSocket /client/{id}?token= -> offer from the streamer, answer (candidates inside it, as aiortc never
trickles), trickled server candidates added -> ready when the video track and clientToStreamer are both
there -> start on the data channel -> decode video, read the frame-index stamps -> update -> end ->
a second stream started over the WebSocket (with an image, as clients do) -> end -> recordings ->
client_disconnecting, close 1000. Prints JSON lines: {"step": ...} as it goes, {"result": {...}} at the end.

Only 127.0.0.1 is gathered and iceServers from /config are honoured as given (the emulator sends none).
"""
import asyncio
import base64
import json
import sys
import struct
import time
import urllib.error
import urllib.parse
import urllib.request

import aioice.ice
import websockets
import zlib
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.sdp import candidate_from_sdp

# aioice skips loopback when gathering (INTEROP-NOTES.md); loopback is all a test may use.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

TIMEOUT = 30



def solid_png(width, height, rgb):
    """A one-colour RGB PNG built with zlib alone (no Pillow on the test machines)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b"")

def emit(**kwargs):
    print(json.dumps(kwargs), flush=True)


# ------------------------------------------------------------------ HTTP (stdlib, off the event loop)

def _http(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


async def http(method, url, body=None, token=None):
    return await asyncio.to_thread(_http, method, url, body, token)


# ------------------------------------------------------------------ the frame-index stamp (FrameIndexCode)

COLUMNS, ROWS, BANDS = 16, 3, 12
MARKERS = 0b101100


def crc8(value):
    crc = 0
    for shift in (24, 16, 8, 0):
        crc ^= (value >> shift) & 0xFF
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc ^ 0x5A


def read_stamp(gray):
    """The index stamped in the top quarter: 48 cells, inner-half means, references, 32 bits, CRC-8, markers."""
    height, width = gray.shape
    means = []
    for cell in range(COLUMNS * ROWS):
        column, row = cell % COLUMNS, cell // COLUMNS
        left, right = column * width // COLUMNS, (column + 1) * width // COLUMNS
        top, bottom = row * height // BANDS, (row + 1) * height // BANDS
        ix, iy = (right - left) // 4, (bottom - top) // 4
        means.append(float(gray[top + iy:max(top + iy + 1, bottom - iy), left + ix:max(left + ix + 1, right - ix)].mean()))
    white, black = means[0], means[1]
    if white - black < 64:
        return None
    middle = (white + black) / 2
    bits = [m > middle for m in means]
    for k in range(6):
        if bits[42 + k] != bool((MARKERS >> (5 - k)) & 1):
            return None
    value = 0
    for k in range(32):
        value = (value << 1) | bits[2 + k]
    check = 0
    for k in range(8):
        check = (check << 1) | bits[34 + k]
    return value if check == crc8(value) else None


# ------------------------------------------------------------------ the client

class Client:
    def __init__(self, api_url, api_key):
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.pc = None
        self.ws = None
        self.video = None
        self.to_streamer = None
        self.ready = asyncio.Event()
        self.replies = asyncio.Queue()
        self.trickled = 0
        self.pending_candidates = []
        self.other_labels = []

    async def connect(self):
        status, auth = await http("POST", self.api_url + "/auth/token", {"api_key": self.api_key})
        assert status == 200 and "access_token" in auth, (status, auth)
        self.token = auth["access_token"]
        emit(step="auth", expires_in=auth.get("expires_in"))

        status, regions = await http("GET", self.api_url + "/regions", token=self.token)
        assert status == 200, (status, regions)
        latencies = {}
        for region in regions["regions"]:
            started = time.monotonic()
            ping_status, _ = await http("GET", region["ping_url"])
            latencies[region["id"]] = int((time.monotonic() - started) * 1000) if ping_status == 200 else 9999
        emit(step="regions", latencies=latencies)

        deadline = time.monotonic() + TIMEOUT
        polls = 0
        while True:
            status, session = await http("POST", self.api_url + "/sessions/request", {"region_latencies": latencies}, self.token)
            polls += 1
            if status != 503 or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        assert status == 200, (status, session)
        self.session_id = session["session_id"]
        emit(step="session", polls=polls, capabilities=session.get("capabilities"), signalling_url=session["signalling_url"])

        status, token = await http("POST", self.api_url + "/sessions/token", {"session_id": self.session_id}, self.token)
        assert status == 200, (status, token)
        payload = token["session_token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert claims["session_id"] == self.session_id, claims

        signalling = session["signalling_url"].rstrip("/")
        http_base = signalling.replace("wss://", "https://").replace("ws://", "http://")
        status, config = await http("GET", http_base + "/config")
        ice_servers = config.get("iceServers", []) if status == 200 else [{"urls": "stun:stun.l.google.com:19302"}]
        emit(step="config", ice_servers=ice_servers)

        url = f"{signalling}/client/{self.session_id}?token={urllib.parse.quote(token['session_token'], safe='')}"
        self.ws = await websockets.connect(url, max_size=64 * 1024 * 1024)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[RTCIceServer(urls=s["urls"]) for s in ice_servers]))
        self.pc.on("track", self.on_track)
        self.pc.on("datachannel", self.on_datachannel)
        self.signalling_task = asyncio.ensure_future(self.signalling())
        self.keepalive_task = asyncio.ensure_future(self.keepalive())
        await asyncio.wait_for(self.ready.wait(), TIMEOUT)
        await asyncio.wait_for(self.channel_open(), TIMEOUT)
        emit(step="connected", connection_state=self.pc.connectionState)

    async def channel_open(self):
        while self.to_streamer is None or self.to_streamer.readyState != "open":
            await asyncio.sleep(0.05)

    def on_track(self, track):
        if track.kind == "video":
            self.video = track
            self.check_ready()

    def on_datachannel(self, channel):
        if channel.label == "clientToStreamer":
            self.to_streamer = channel
            channel.on("open", self.check_ready)
            self.check_ready()
        elif channel.label == "streamerToClient":
            channel.on("message", lambda message: self.replies.put_nowait(json.loads(message)))
        else:
            self.other_labels.append(channel.label)

    def check_ready(self):
        if self.video is not None and self.to_streamer is not None:
            self.ready.set()

    async def signalling(self):
        async for raw in self.ws:
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "offer":
                await self.pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="offer"))
                for candidate in self.pending_candidates:
                    await self.pc.addIceCandidate(candidate)
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                await self.ws.send(json.dumps({"type": "answer", "sdp": self.pc.localDescription.sdp}))
            elif kind == "ice_candidate":
                text = message.get("candidate") or ""
                if not text:
                    continue
                if text.startswith("candidate:"):
                    text = text[len("candidate:"):]
                candidate = candidate_from_sdp(text)
                candidate.sdpMid = message.get("sdpMid")
                candidate.sdpMLineIndex = message.get("sdpMLineIndex")
                self.trickled += 1
                if self.pc.remoteDescription is None:
                    self.pending_candidates.append(candidate)
                else:
                    await self.pc.addIceCandidate(candidate)
            elif kind == "error":
                emit(step="signalling_error", reason=message.get("reason"))
            else:
                emit(step="signalling_message", type=kind)

    async def keepalive(self):
        # PROTOCOL.md §3 sends one every 10 s; sooner here so a short test exercises it.
        while True:
            await asyncio.sleep(1)
            await self.ws.send(json.dumps({"type": "keepalive"}))

    async def request(self, message, over_websocket=False):
        if over_websocket:
            await self.ws.send(json.dumps(message))
        else:
            self.to_streamer.send(json.dumps(message))
        return await asyncio.wait_for(self.replies.get(), TIMEOUT)

    async def frames(self, count, portrait=None):
        """Decodes until `count` stamped frames arrived; their indices in order and the picture size. With
        `portrait` given, frames of the other orientation (still in flight from before a start) are skipped."""
        indices, size = [], None
        while len(indices) < count:
            frame = await asyncio.wait_for(self.video.recv(), TIMEOUT)
            if portrait is not None and (frame.height > frame.width) != portrait:
                continue
            gray = frame.to_ndarray(format="gray")
            index = read_stamp(gray)
            if index is not None:
                indices.append(index)
                size = [frame.width, frame.height]
        return indices, size

    async def close(self):
        self.keepalive_task.cancel()
        await self.ws.send(json.dumps({"type": "client_disconnecting"}))
        await self.ws.close(code=1000, reason="Client disconnect")
        self.signalling_task.cancel()
        await self.pc.close()


async def main(api_url, api_key, frames):
    client = Client(api_url, api_key)
    result = {}
    await client.connect()
    result["trickled_candidates"] = client.trickled
    result["other_labels"] = client.other_labels

    indices, size = await client.frames(frames)
    result["idle"] = {"indices": indices, "size": size}

    # PY-style start: every key present, nulls where the client has nothing.
    started = await client.request({"type": "interactive_stream_start", "prompt": "a red fox in the snow", "portrait": True,
                                    "input_image_base64": None, "broadcast": False, "bypass_vlm_expansion": None})
    emit(step="started", reply=started)
    indices, size = await client.frames(frames, portrait=True)
    result["stream"] = {"started": started, "indices": indices, "size": size}

    acknowledged = await client.request({"type": "update", "prompt": "a blue whale"})
    indices, _ = await client.frames(frames)
    result["update"] = {"reply": acknowledged, "indices": indices}
    result["end"] = await client.request({"type": "interactive_stream_end"})

    # A start with an image goes over the WebSocket (PROTOCOL.md §5); the reply still comes on the channel.
    # The image is already prepared to the landscape video size, as the clients do before sending (§5).
    png = base64.b64encode(solid_png(1280, 704, (40, 90, 200))).decode()
    image_start = await client.request({"type": "interactive_stream_start", "prompt": "a lighthouse", "portrait": False,
                                        "input_image_base64": f"data:image/png;base64,{png}", "bypass_vlm_expansion": True},
                                       over_websocket=True)
    indices, size = await client.frames(frames, portrait=False)
    result["image_stream"] = {"started": image_start, "indices": indices, "size": size}
    result["image_end"] = await client.request({"type": "interactive_stream_end"})

    status, recording = await http("GET", f"{client.api_url}/recordings/{started['stream_id']}", token=client.token)
    result["recording"] = {"status": status, "body": recording}
    status, listing = await http("GET", f"{client.api_url}/stream-recordings?limit=10", token=client.token)
    result["recordings"] = {"status": status, "body": listing}
    await client.close()
    emit(result=result)


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 15), 120))
