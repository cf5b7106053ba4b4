#!/usr/bin/env bash
# The main job. Installs what the project needs (first run only), builds the runner and the sample
# plugin, then runs odyssey-pipeline with the given arguments — by default the main pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
# Set-up and build talk on stderr, so `scripts/run.sh blocks --schema > file` captures only the runner.
bash scripts/setup.sh >&2
# The sample clip pipelines/file-analysis.json reads (not committed; made once with the ffmpeg CLI).
bash scripts/make-sample-clip.sh >&2
dotnet build src/Odyssey.Runner -c Release -nologo -v quiet -clp:ErrorsOnly >&2
dotnet build samples/Acme.EdgeDensity -c Release -nologo -v quiet -clp:ErrorsOnly >&2
if [ $# -eq 0 ]; then
  set -- run pipelines/quickstart.json
fi
exec dotnet src/Odyssey.Runner/bin/Release/net10.0/odyssey-pipeline.dll "$@"
