#!/usr/bin/env bash
# Installs the Debian packages the project needs on a fresh Debian 12 machine.
# Idempotent: packages already present are skipped, so a warm machine pays nothing.
set -euo pipefail

# libgtk-3-0: OpenCvSharp's official linux-x64 runtime links GTK for HighGUI.
# ffmpeg + the lib*59 runtime: FFmpeg bindings (Odyssey.Media) and ffprobe checks in tests.
# python3-aiortc (with aioice), python3-pylibsrtp and openssl: real WebRTC peers the Odyssey.WebRtc
#   interop tests talk to, run with /usr/bin/python3 (INTEROP-NOTES.md): SDP, ICE (aioice), DTLS-SRTP
#   (aiortc's RTCDtlsTransport, the openssl s_server/s_client CLI), SRTP (libsrtp) and the VP8/H.264
#   packetizers (tests/Odyssey.WebRtc.Tests/Payloads/aiortc_payloads.py).
# chromium: the browser peer (headless) that must accept our SDP answers and answer our offers.
# iproute2: `ip link set lo up` inside the fresh network namespace (`unshare -n`) the PeerConnection
#   interop tests run in (tests/Shared/NetworkNamespace.cs); minimal images lack it.
# python3-websockets: the signalling WebSocket of the aiortc-based Odyssey client that the emulator tests
#   run against the emulator (tests/Odyssey.Emulator.Tests/Clients/odyssey_aiortc_client.py); the Python
#   standard library has HTTP but no WebSocket client.
# nats-server (Debian 2.9.x): the NATS JetStream broker the job-queue and nats sink/source tests start on
#   127.0.0.1 (`nats-server -js`), and what `odyssey-pipeline worker` talks to on a developer machine.
# python3-yaml: the deploy/ lint test parses the Kubernetes manifests with PyYAML (no Docker/kubectl here).
# xvfb: a virtual X display, so the display sink's HighGUI window can be opened and checked headless
#   (tests/Odyssey.Runner.Tests/Display). x11-apps: `xwd`, which screenshots that display for the test.
#   chromium (above) also opens the live preview page and the HTML report in the tests.
# coturn: a real TURN server (turnserver) the relay interop test starts on 127.0.0.1 inside its network
#   namespace with a static long-term user (tests/Shared/TurnServerProcess.cs, used by the WebRtc and Client relay tests), so our
#   TURN client (Odyssey.WebRtc/Ice/TurnClient.cs) is checked against an implementation nobody here wrote.
packages=(libgtk-3-0 ffmpeg libavcodec59 libavformat59 libavutil57 libswscale6 python3-aiortc python3-pylibsrtp openssl chromium iproute2 python3-websockets nats-server python3-yaml xvfb x11-apps coturn)

# `setup.sh bench`: also the GStreamer tools the side-by-side benchmark compares against
# (benchmarks/side-by-side). The tests never need them, so the default set-up leaves them out.
# gstreamer1.0-tools: gst-launch-1.0; -libav: avdec_h264; -plugins-good: qtdemux, matroskademux, vp8dec
# (it depends on -plugins-base, home of videoconvert); -plugins-bad: h264parse.
if [ "${1:-}" = "bench" ]; then
  packages+=(gstreamer1.0-tools gstreamer1.0-libav gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)
elif [ $# -gt 0 ]; then
  echo "setup.sh: unknown argument '$1' (expected nothing, or 'bench' for the benchmark's GStreamer tools)" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
echo "setup: installing ${missing[*]}" >&2
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
