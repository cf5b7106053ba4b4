#!/usr/bin/python3
"""Side-by-side speed of whole processes: odyssey-pipeline vs the ffmpeg CLI vs gst-launch-1.0.

Two cases, each on H.264 baseline and VP8 clips, clean (testsrc2) and noisy (noise=alls=12:allf=t):
  decode   ours `file -> decode -> null`          vs  ffmpeg -threads 1 -i clip -f null -
  convert  ours `... -> convert(bgr24) -> null`   vs  ffmpeg ... -pix_fmt bgr24 -f null -
                                                  vs  gst-launch-1.0 ... avdec_h264/vp8dec ! videoconvert ! BGR ! fakesink
Every tool decodes on one thread. Tools alternate inside each round (the start order rotates from round
to round, so slow drift of a shared machine spreads evenly) and each figure is the median over rounds.
Per-process CPU time and peak RSS come from wait4(2). A tool that outputs a different number of frames
than the clip holds is flagged and its row gets no ratio: decoding fewer frames must not count as speed.

Run with Debian's /usr/bin/python3 (standard library only). See README.md beside this file.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DEFAULT_CACHE = os.path.join(HERE, ".clips")
# The runner's Release build, published with ReadyToRun code (the way one would ship it) into the
# gitignored build/ folder.
DEFAULT_RUNNER_DIR = os.path.join(REPO, "build", "side-by-side", "runner")

WIDTH, HEIGHT, FPS = 1280, 720, 30
# 4 Mbit/s is a typical 720p30 streaming rate. It also keeps decoding from drowning everything else:
# libx264's default CRF gives the noisy clip ~27 Mbit/s, where entropy decoding is >90 % of every tool's
# time and the comparison would say little about the rest of the path.
BITRATE = "4M"
GOP = 60  # a keyframe every 2 s, as a streaming encoder would send

# name -> (codec, noisy, container for ffmpeg/gst, raw copy for our pre-libavformat file source)
CLIPS = {
    "h264-clean": ("h264", False, "mp4", "h264"),
    "h264-noisy": ("h264", True, "mp4", "h264"),
    "vp8-clean": ("vp8", False, "webm", "ivf"),
    "vp8-noisy": ("vp8", True, "webm", "ivf"),
}


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- clips

def clip_paths(cache, name, seconds):
    codec, noisy, container, raw = CLIPS[name]
    stem = os.path.join(cache, f"{name}-{seconds}s-{BITRATE}")
    return stem + "." + container, stem + "." + raw


def make_clip(cache, name, seconds):
    """Encodes the clip once and keeps it (plus a raw bitstream copy for our raw-file source) in the cache."""
    codec, noisy, container, raw = CLIPS[name]
    main, raw_path = clip_paths(cache, name, seconds)
    os.makedirs(cache, exist_ok=True)
    source = f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}"
    if noisy:
        source += ",noise=alls=12:allf=t"
    if not os.path.exists(main):
        log(f"clip: encoding {os.path.basename(main)}")
        if codec == "h264":
            encode = ["-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p"]
        else:
            # realtime deadline: what a WebRTC sender produces, and fast enough to generate here.
            encode = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "4", "-pix_fmt", "yuv420p"]
        encode += ["-b:v", BITRATE, "-maxrate", BITRATE, "-bufsize", "8M", "-g", str(GOP)]
        tmp = main + ".part." + container
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source,
                        "-t", str(seconds), *encode, tmp], check=True)
        os.replace(tmp, main)
    if not os.path.exists(raw_path):
        bsf = ["-bsf:v", "h264_mp4toannexb", "-f", "h264"] if codec == "h264" else ["-f", "ivf"]
        tmp = raw_path + ".part"
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", main, "-c:v", "copy",
                        *bsf, tmp], check=True)
        os.replace(tmp, raw_path)
    return main, raw_path


def probe_frames(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0", "-show_entries",
                          "stream=nb_read_packets", "-of", "csv=p=0", path],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip().split(",")[0])


# ---------------------------------------------------------------- tools

def runner_command(runner_dir):
    exe = os.path.join(runner_dir, "odyssey-pipeline")
    if os.path.exists(exe):
        return [exe]
    return ["dotnet", os.path.join(runner_dir, "odyssey-pipeline.dll")]


def has_decode_block(runner):
    """True once the runner has the libavformat `file` source + separate `decode` block."""
    out = subprocess.run([*runner, "blocks"], capture_output=True, text=True).stdout
    return re.search(r"^decode \(", out, re.MULTILINE) is not None


def write_pipeline(workdir, case, name, main, raw_path, split_decode, raw):
    """Our side: a generated pipeline file, decoder on one thread."""
    blocks = {}
    chain = []
    if split_decode:
        blocks["source"] = {"type": "file", "options": {"path": raw_path if raw else main}}
        blocks["decode"] = {"type": "decode", "options": {"threads": 1}}
        chain += ["source", "decode"]
    else:
        blocks["source"] = {"type": "file", "options": {"path": raw_path, "threads": 1, "fps": FPS}}
        chain += ["source"]
    if case == "convert":
        blocks["convert"] = {"type": "convert", "options": {"format": "bgr24"}}
        chain.append("convert")
    blocks["sink"] = {"type": "null"}
    chain.append("sink")
    pipeline = {"description": f"side-by-side {case} of {name}", "blocks": blocks, "links": [" -> ".join(chain)]}
    path = os.path.join(workdir, f"ours-{case}-{name}.json")
    with open(path, "w") as f:
        json.dump(pipeline, f, indent=1)
    return path


def gst_pipeline(codec, main, count):
    if codec == "h264":
        demux = ["qtdemux", "!", "h264parse", "!", "avdec_h264", "max-threads=1"]
    else:
        demux = ["matroskademux", "!", "vp8dec", "threads=1"]
    sink = ["fakesink", "sync=false"] + (["silent=false"] if count else [])
    return ["gst-launch-1.0", "-v" if count else "-q", "filesrc", f"location={main}", "!", *demux, "!",
            "videoconvert", "n-threads=1", "!", "video/x-raw,format=BGR", "!", *sink]


def commands(case, name, main, runner, pipeline, metrics):
    """(tool, argv, frame-count parser) for one case and clip."""
    codec = CLIPS[name][0]
    ff = ["ffmpeg", "-hide_banner", "-nostats", "-threads", "1", "-i", main]
    ff += (["-pix_fmt", "bgr24"] if case == "convert" else []) + ["-f", "null", "-"]
    tools = [
        ("ours", [*runner, "run", pipeline, "--plain", "--metrics-out", metrics], lambda out, err: ours_frames(metrics)),
        ("ffmpeg", ff, lambda out, err: ffmpeg_frames(err)),
    ]
    if case == "convert":
        # Counting gst's buffers needs a verbose sink, which is not the timed command: counted separately.
        tools.append(("gst", gst_pipeline(codec, main, count=False), None))
    return tools


def ours_frames(metrics):
    with open(metrics) as f:
        m = json.load(f)
    if m.get("outcome") != "completed":
        return None
    return next(b["itemsIn"] for b in m["blocks"] if b["name"] == "sink")


def ffmpeg_frames(err):
    found = re.findall(r"frame=\s*(\d+)", err)
    return int(found[-1]) if found else None


def gst_frames(codec, main):
    out = subprocess.run(gst_pipeline(codec, main, count=True), capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return sum(1 for line in out.stdout.splitlines() if "last-message = chain" in line)


def measure(argv, workdir):
    """Runs one process; returns wall s, CPU s (user+sys, children included), peak RSS KiB, rc, stdout, stderr."""
    out_path = os.path.join(workdir, "stdout")
    err_path = os.path.join(workdir, "stderr")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=workdir)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path) as f:
        stdout = f.read()
    with open(err_path) as f:
        stderr = f.read()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode, stdout, stderr


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per case and clip (median reported)")
    parser.add_argument("--seconds", type=int, default=30, help="clip length in seconds")
    parser.add_argument("--short", action="store_true", help="quick check: 5-second clips, 2 rounds")
    parser.add_argument("--clips", default=",".join(CLIPS), help="comma-separated subset of " + ",".join(CLIPS))
    parser.add_argument("--cases", default="decode,convert", help="decode, convert or both")
    parser.add_argument("--cache", default=DEFAULT_CACHE, help="where clips are kept between runs")
    parser.add_argument("--runner-dir", default=DEFAULT_RUNNER_DIR, help="odyssey-pipeline's build output (default: published here by the script)")
    parser.add_argument("--no-build", action="store_true", help="do not build the runner first (use what --runner-dir holds)")
    parser.add_argument("--raw", action="store_true", help="ours reads the raw .h264/.ivf stream copy instead of the .mp4/.webm")
    parser.add_argument("--markdown", help="also write the Markdown report to this file")
    parser.add_argument("--json", help="also write every round's raw figures to this file")
    args = parser.parse_args()
    if args.short:
        args.seconds, args.rounds = 5, 2
    clips = [c for c in args.clips.split(",") if c]
    cases = [c for c in args.cases.split(",") if c]
    for c in clips:
        if c not in CLIPS:
            parser.error(f"--clips: unknown clip {c!r}; known: {', '.join(CLIPS)}")
    for c in cases:
        if c not in ("decode", "convert"):
            parser.error(f"--cases: unknown case {c!r}; known: decode, convert")

    for tool in ("ffmpeg", "ffprobe") + (("gst-launch-1.0",) if "convert" in cases else ()):
        if shutil.which(tool) is None:
            sys.exit(f"side_by_side: {tool} not found; run `scripts/setup.sh bench` first")

    if not args.no_build:
        log(f"build: odyssey-pipeline (Release, ReadyToRun) into {args.runner_dir}")
        subprocess.run(["dotnet", "publish", os.path.join(REPO, "src", "Odyssey.Runner"), "-c", "Release", "-r", "linux-x64",
                        "--self-contained", "false", "-o", args.runner_dir, "-nologo", "-v", "quiet",
                        "-clp:ErrorsOnly"], check=True, stdout=sys.stderr)
    runner = runner_command(args.runner_dir)
    split_decode = has_decode_block(runner)

    workdir = tempfile.mkdtemp(prefix="side-by-side-")
    results = []  # dicts: case, clip, tool, frames, expected, walls, cpus, rss
    load_samples = [loadavg()]
    started = time.time()
    try:
        for name in clips:
            main_clip, raw_clip = make_clip(args.cache, name, args.seconds)
            expected = probe_frames(main_clip)
            for case in cases:
                pipeline = write_pipeline(workdir, case, name, main_clip, raw_clip, split_decode, args.raw)
                metrics = os.path.join(workdir, "metrics.json")
                tools = commands(case, name, main_clip, runner, pipeline, metrics)
                rows = {t: {"case": case, "clip": name, "tool": t, "expected": expected, "frames": set(),
                            "walls": [], "cpus": [], "rss": [], "failed": None} for t, _, _ in tools}
                if case == "convert":
                    # Untimed: counts gst's frames and warms the page cache for everyone.
                    rows["gst"]["frames"].add(gst_frames(CLIPS[name][0], main_clip))
                for _, argv, _ in tools:
                    measure(argv, workdir)  # warm-up, untimed (page cache, runner's first start)
                for r in range(args.rounds):
                    order = tools[r % len(tools):] + tools[:r % len(tools)]
                    for tool, argv, count in order:
                        if os.path.exists(metrics):
                            os.remove(metrics)  # a stale file must not vouch for a run that wrote none
                        wall, cpu, rss, rc, out, err = measure(argv, workdir)
                        row = rows[tool]
                        if rc != 0:
                            row["failed"] = f"exit {rc}: {err.strip().splitlines()[-1:]}"
                            continue
                        if count is not None:
                            row["frames"].add(count(out, err))
                        row["walls"].append(wall)
                        row["cpus"].append(cpu)
                        row["rss"].append(rss)
                    load_samples.append(loadavg())
                    log(f"{case} {name} round {r + 1}/{args.rounds}: " + ", ".join(
                        f"{t} {rows[t]['walls'][-1]:.2f}s" for t, _, _ in tools if rows[t]["walls"]))
                results += rows.values()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    report = render(results, args, split_decode, load_samples, time.time() - started)
    print(report)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(report + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seconds": args.seconds, "rounds": args.rounds, "split_decode": split_decode,
                       "load": load_samples,
                       "results": [{**r, "frames": sorted(f for f in r["frames"] if f is not None)} for r in results]},
                      f, indent=1)


def render(results, args, split_decode, load_samples, elapsed):
    lines = []
    if split_decode:
        ours_input = ("a raw .h264/.ivf copy" if args.raw else "the same .mp4/.webm") + " (file -> decode)"
    else:
        ours_input = "a raw .h264/.ivf copy (the old file source decodes)"
    lines.append(f"Clips: {args.seconds} s, {WIDTH}x{HEIGHT} {FPS} fps, {BITRATE}bit/s; {args.rounds} rounds, medians; "
                 f"ours reads {ours_input}.")
    lines.append(f"Load average (1 min) during the run: min {min(load_samples):.1f}, median "
                 f"{statistics.median(load_samples):.1f}, max {max(load_samples):.1f}; run took {elapsed:.0f} s.")
    lines.append("")
    lines.append("| case | clip | tool | frames | fps | wall s (min–max) | CPU s | peak RSS MiB | ours/tool fps | paired | ours/tool CPU |")
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    by_key = {(r["case"], r["clip"], r["tool"]): r for r in results}
    for r in results:
        ok = r["failed"] is None and r["walls"] and r["frames"] == {r["expected"]}
        frames = "/".join(str(f) for f in sorted(r["frames"], key=lambda f: -1 if f is None else f)) or "?"
        if r["failed"] is not None or not r["walls"]:
            lines.append(f"| {r['case']} | {r['clip']} | {r['tool']} | {frames} | failed: {r['failed']} | | | | | | |")
            continue
        wall = statistics.median(r["walls"])
        cpu = statistics.median(r["cpus"])
        rss = statistics.median(r["rss"]) / 1024
        fps = r["expected"] / wall
        ratio = ratio_cpu = paired = ""
        ours = by_key.get((r["case"], r["clip"], "ours"))
        ours_ok = ours and ours["failed"] is None and ours["walls"] and ours["frames"] == {ours["expected"]}
        if r["tool"] != "ours" and ok and ours_ok:
            ratio = f"{wall / statistics.median(ours['walls']):.2f}×"
            ratio_cpu = f"{cpu / statistics.median(ours['cpus']):.2f}×"
            if len(r["walls"]) == len(ours["walls"]):
                # Same round, back to back: a shared machine's drift cancels better than in the medians.
                paired = f"{statistics.median(t / o for t, o in zip(r['walls'], ours['walls'])):.2f}×"
        mark = "" if ok else f" (expected {r['expected']}: no ratio)"
        lines.append(f"| {r['case']} | {r['clip']} | {r['tool']} | {frames}{mark} | {fps:.0f} | {wall:.2f} "
                     f"({min(r['walls']):.2f}–{max(r['walls']):.2f}) | {cpu:.2f} | {rss:.0f} | {ratio} | {paired} | {ratio_cpu} |")
    lines.append("")
    lines.append("ours/tool fps > 1 means ours is faster (tool's median wall time / ours); paired = median over rounds "
                 "of the same ratio within each round; the CPU ratio compares CPU seconds the same way (tool / ours).")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
