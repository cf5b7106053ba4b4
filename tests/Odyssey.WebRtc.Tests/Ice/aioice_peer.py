"""The other ICE agent for IceAioiceInteropTests: aioice 0.8 (Debian python3-aiortc), on 127.0.0.1 only.

Signalling is one JSON line each way: this script prints {"ufrag", "pwd", "candidates"} once gathered,
then reads the same from stdin, connects, prints {"connected": true} and echoes every datagram it
receives until one equals b"\\x17bye"; it also sends one datagram of its own first ("\\x17hello").
Usage: /usr/bin/python3 aioice_peer.py controlling|controlled
"""
import asyncio
import json
import sys

import aioice
import aioice.ice

# aioice skips 127.0.0.1 when gathering (INTEROP-NOTES.md); the test network is loopback only.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def main(controlling):
    loop = asyncio.get_running_loop()
    connection = aioice.Connection(ice_controlling=controlling, components=1, use_ipv6=False)
    await connection.gather_candidates()
    emit({
        "ufrag": connection.local_username,
        "pwd": connection.local_password,
        "candidates": ["candidate:" + c.to_sdp() for c in connection.local_candidates],
    })

    line = await loop.run_in_executor(None, sys.stdin.readline)
    remote = json.loads(line)
    connection.remote_username = remote["ufrag"]
    connection.remote_password = remote["pwd"]
    for text in remote["candidates"]:
        if text.startswith("candidate:"):
            text = text[len("candidate:"):]
        await connection.add_remote_candidate(aioice.Candidate.from_sdp(text))
    await connection.add_remote_candidate(None)

    await asyncio.wait_for(connection.connect(), 20)
    emit({"connected": True, "controlling": connection.ice_controlling})
    await connection.send(b"\x17hello")
    echoed = 0
    while True:
        data = await asyncio.wait_for(connection.recv(), 20)
        if data == b"\x17bye":
            break
        await connection.send(data)
        echoed += 1
    emit({"echoed": echoed})
    await connection.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] == "controlling"))
