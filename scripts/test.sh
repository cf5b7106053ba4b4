#!/usr/bin/env bash
# Runs every test. Installs what the tests need (first run only), builds the solution once, runs each
# test project, and ends with one line "N passed, N failed, N skipped" for people and CI alike.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
dotnet build OdysseyPipeline.sln -c Release -nologo -v quiet -clp:ErrorsOnly || exit 1

results=$(mktemp -d)
# --blame-hang-timeout turns a hung test into a failure with a dump instead of a stalled CI run.
dotnet test OdysseyPipeline.sln -c Release --no-build -nologo \
  --blame-hang-timeout 5m \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results"
status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(echo "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  f=$(echo "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  n=$(echo "$counters" | sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
done
rm -rf "$results"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # the run failed outside any test (build, crash, hang): never report it green
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
