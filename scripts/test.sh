#!/usr/bin/env bash
# Runs every test. Installs what the tests need (first run only), builds the solution once, runs each
# test project, and ends with one line "N passed, N failed, N skipped" for people and CI alike.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
dotnet build OdysseyPipeline.sln -c Release -nologo -v quiet -clp:ErrorsOnly || exit 1

log=$(mktemp)
# --blame-hang-timeout turns a hung test into a failure with a dump instead of a stalled CI run.
dotnet test OdysseyPipeline.sln -c Release --no-build -nologo \
  --blame-hang-timeout 5m --logger "console;verbosity=minimal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Each test project ends with "Passed!  - Failed: F, Passed: P, Skipped: S, Total: T, ..."; add them up.
read -r passed failed skipped < <(sed -n 's/.*\(Passed\|Failed\)! *- Failed: *\([0-9]*\), Passed: *\([0-9]*\), Skipped: *\([0-9]*\).*/\3 \2 \4/p' "$log" |
  awk '{p += $1; f += $2; s += $3} END {print p + 0, f + 0, s + 0}')
projects=$(grep -c '^\(Passed\|Failed\)! ' "$log")
rm -f "$log"
expected_projects=$(find tests -name '*.Tests.csproj' | wc -l)
if [ "$status" -ne 0 ] || [ "$projects" -ne "$expected_projects" ]; then
  # The run failed outside any test (crash, hang) or a project never reported: never report it green.
  [ "$failed" -eq 0 ] && failed=1
  [ "$status" -eq 0 ] && status=1
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
