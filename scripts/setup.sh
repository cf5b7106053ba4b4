#!/usr/bin/env bash
# Installs the Debian packages the project needs on a fresh Debian 12 machine.
# Idempotent: packages already present are skipped, so a warm machine pays nothing.
set -euo pipefail

# libgtk-3-0: OpenCvSharp's official linux-x64 runtime links GTK for HighGUI.
# ffmpeg + the lib*59 runtime: FFmpeg bindings (Odyssey.Media) and ffprobe checks in tests.
# python3-aiortc (with aioice) and openssl: real WebRTC peers the Odyssey.WebRtc interop tests talk to.
packages=(libgtk-3-0 ffmpeg libavcodec59 libavformat59 libavutil57 libswscale6 python3-aiortc openssl)

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
