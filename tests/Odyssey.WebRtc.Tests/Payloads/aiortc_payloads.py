"""Runs aiortc's own VP8/H.264 payload code for the interop tests (called with Debian's /usr/bin/python3).

usage: aiortc_payloads.py packetize   h264|vp8 FRAME_FILE [PICTURE_ID]  -> one hex payload per line
       aiortc_payloads.py depacketize h264|vp8 PAYLOADS_FILE             -> the frame as hex (+ picture ids)
"""
import sys

from aiortc.codecs.h264 import H264Encoder, h264_depayload
from aiortc.codecs.vpx import Vp8Encoder, VpxPayloadDescriptor


def main() -> None:
    mode, codec, path = sys.argv[1:4]
    with open(path, "rb") as f:
        data = f.read()
    if mode == "packetize":
        if codec == "h264":
            payloads = H264Encoder._packetize(H264Encoder._split_bitstream(data))
        else:
            payloads = Vp8Encoder._packetize(data, int(sys.argv[4]))
        for payload in payloads:
            print(payload.hex())
        return

    frame = b""
    picture_ids = []
    for line in data.decode().split():
        payload = bytes.fromhex(line)
        if codec == "h264":
            frame += h264_depayload(payload)
        else:
            descriptor, rest = VpxPayloadDescriptor.parse(payload)
            picture_ids.append(descriptor.picture_id)
            frame += rest
    print(frame.hex())
    print(" ".join(str(p) for p in picture_ids))


main()
