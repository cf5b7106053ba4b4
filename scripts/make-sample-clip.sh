#!/usr/bin/env bash
# Makes the sample clip pipelines/file-analysis.json reads: samples/media/sample.mp4, 90 frames (3 s)
# of ffmpeg's moving test source at 640x360, 30 fps, H.264 constrained baseline with a keyframe every
# second. Media is not committed (samples/media/ is gitignored); scripts/run.sh and the runner's
# end-to-end tests call this before they need the clip. Idempotent: an existing clip is kept
# (pass --force to remake it). Written to a temporary name first, so a cut-short run leaves no clip.
set -euo pipefail
cd "$(dirname "$0")/.."
clip=samples/media/sample.mp4
if [ -s "$clip" ] && [ "${1:-}" != "--force" ]; then
  exit 0
fi
mkdir -p "$(dirname "$clip")"
tmp="${clip%.mp4}.partial.mp4"
ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=640x360:rate=30 -frames:v 90 \
  -c:v libx264 -profile:v baseline -pix_fmt yuv420p -g 30 "$tmp"
mv "$tmp" "$clip"
echo "make-sample-clip: wrote $clip" >&2
