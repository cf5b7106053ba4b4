#!/usr/bin/python3
"""Head to head: two odyssey-pipeline builds on the same pipeline and clip, alternating every round.

For a change inside our own process (e.g. zero-copy decoding), where whole-process figures against
ffmpeg move with the machine's load more than with the change: both builds run back to back in each
round (order alternating), and the medians of CPU seconds (user + system, from wait4) are compared.

  /usr/bin/python3 benchmarks/side-by-side/ab_runners.py --a DIR_A --b DIR_B [--clip h264-noisy] [--case decode|convert] [--rounds 8]

DIR_A / DIR_B: `dotnet publish src/Odyssey.Runner -c Release -r linux-x64 --self-contained false -o DIR`
of each build. Clips come from side_by_side.py's cache (made there on first use).
"""
import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import side_by_side as sbs  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="runner build A (published folder)")
    parser.add_argument("--b", required=True, help="runner build B (published folder)")
    parser.add_argument("--clip", default="h264-noisy")
    parser.add_argument("--case", default="decode", choices=["decode", "convert"])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()

    main_clip, raw_clip = sbs.make_clip(sbs.DEFAULT_CACHE, args.clip, args.seconds)
    expected = sbs.probe_frames(main_clip)
    workdir = tempfile.mkdtemp(prefix="ab-runners-")
    builds = {}
    for label, folder in (("A", args.a), ("B", args.b)):
        runner = sbs.runner_command(os.path.abspath(folder))  # runs in a scratch folder
        pipeline = sbs.write_pipeline(workdir, args.case, f"{args.clip}-{label}", main_clip, raw_clip, sbs.has_decode_block(runner), False)
        builds[label] = [*runner, "run", pipeline, "--plain"]

    cpu = {"A": [], "B": []}
    wall = {"A": [], "B": []}
    loads = [sbs.loadavg()]
    for _ in range(1):  # untimed warm-up of both (page cache, first start)
        for label in builds:
            sbs.measure(builds[label], workdir)
    for round_index in range(args.rounds):
        order = ["A", "B"] if round_index % 2 == 0 else ["B", "A"]
        for label in order:
            w, c, _, rc, _, err = sbs.measure(builds[label], workdir)
            if rc != 0:
                sys.exit(f"build {label} failed (rc {rc}): {err[-500:]}")
            cpu[label].append(c)
            wall[label].append(w)
        loads.append(sbs.loadavg())

    print(f"{args.case} {args.clip} ({expected} frames), {args.rounds} rounds, load {min(loads):.1f}-{max(loads):.1f}")
    for label in builds:
        print(f"  {label}: CPU median {statistics.median(cpu[label]):.2f} s (min {min(cpu[label]):.2f}), "
              f"wall median {statistics.median(wall[label]):.2f} s (min {min(wall[label]):.2f})")
    ratio = statistics.median(cpu["A"]) / statistics.median(cpu["B"])
    print(f"  CPU A/B = {ratio:.3f} (> 1: B uses less CPU)")


if __name__ == "__main__":
    main()
