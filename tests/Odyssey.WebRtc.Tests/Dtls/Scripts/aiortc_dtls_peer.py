"""aiortc's own RTCDtlsTransport (OpenSSL via pyOpenSSL, libsrtp) as a DTLS-SRTP peer for the tests.

ICE is replaced by one loopback UDP socket: RTCDtlsTransport only needs `role`, `_recv()` and `_send()`
from its ICE transport. Protocol on stdout/stdin, one line each:
  out: port <udp port>                      out: fingerprint <sha-256 value>
  in:  peer <udp port> <sha-256 value> <client|server>
  out: state <connected|failed>             out: keying <60 bytes hex>
  out: plain <hex>  (the RTP packet it sends SRTP-protected, then "hello from aiortc" as DTLS data)
  out: rtp <hex>    (an SRTP packet it received and unprotected)
  out: data <text>  (DTLS application data it received)
  in:  stop         (sends close_notify and exits)
"""
import asyncio
import struct
import sys

from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsFingerprint, RTCDtlsParameters, RTCDtlsTransport


class UdpIce(asyncio.DatagramProtocol):
    """The part of RTCIceTransport that RTCDtlsTransport uses."""

    def __init__(self):
        self.role = "controlled"
        self.queue = asyncio.Queue()
        self.transport = None
        self.remote = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.queue.put_nowait(data)

    async def _recv(self):
        return await self.queue.get()

    async def _send(self, data):
        self.transport.sendto(data, self.remote)


class DataReceiver:
    async def _handle_data(self, data):
        print("data", data.decode(), flush=True)


async def main():
    loop = asyncio.get_running_loop()
    ice = UdpIce()
    await loop.create_datagram_endpoint(lambda: ice, local_addr=("127.0.0.1", 0))
    certificate = RTCCertificate.generateCertificate()
    dtls = RTCDtlsTransport(ice, [certificate])
    print("port", ice.transport.get_extra_info("sockname")[1], flush=True)
    print("fingerprint", certificate.getFingerprints()[0].value, flush=True)

    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    _, port, fingerprint, role = (await stdin.readline()).decode().split()
    ice.remote = ("127.0.0.1", int(port))
    dtls._set_role(role)

    async def on_rtp(data, arrival_time_ms):
        print("rtp", data.hex(), flush=True)

    dtls._handle_rtp_data = on_rtp
    dtls._data_receiver = DataReceiver()

    await dtls.start(RTCDtlsParameters(fingerprints=[RTCDtlsFingerprint("sha-256", fingerprint)]))
    print("state", dtls.state, flush=True)
    if dtls.state != "connected":
        return
    print("keying", dtls.ssl.export_keying_material(b"EXTRACTOR-dtls_srtp", 60).hex(), flush=True)

    plain = struct.pack("!BBHII", 0x80, 97, 4321, 90000, 0xA10C0001) + bytes(range(200))
    print("plain", plain.hex(), flush=True)
    await dtls._send_rtp(plain)
    await dtls._send_data(b"hello from aiortc")

    await stdin.readline()  # "stop"
    await dtls.stop()
    await asyncio.sleep(0.2)


asyncio.run(main())
