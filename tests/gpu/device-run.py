#!/usr/bin/env python3
"""Runs on the GPU machine: benchmarks the sample engine's history with a published perfci-runner.

Expects, beside this file: make-history.py, sample-engine/ and runner/perfci-runner (a self-contained
single-file publish of src/PerfCI.Runner). Results go to $OUT as one tarball, kept current after every
suite, so a command stopped at its time limit still returns what it measured.

  device-run.py start --suite quick --plan 0-17,pr1,pr2,pr3,17,17,17@serving,pr1@serving --follow 560    # a detached sweep, followed for 560 s
  device-run.py follow --follow 560                              # a later command on the same machine
  device-run.py sweep --plan 12-35 --deadline 560                # in the foreground, stops before the deadline
  device-run.py bisect --good 4 --bad 13 --suite quick --scenario p512-o128-c16@c16 --metric ttft_p50 -- --trials 5

A command may run 10 minutes, a sweep of the whole history takes longer: `start` runs the plan in a
process of its own session, which outlives the command while the machine stays warm, and `follow`
picks it up in the next command (exit code 2 when this machine has no sweep: it is a fresh one).
PERFCI_GPU_SELF_TEST=0 skips the engine's self-tests (they passed on this software before).
The plan names main's commits by index (ranges allowed), `pr1`, `pr2`, `pr3` for the pull requests' heads; a commit
named twice runs twice (run-to-run noise). Each is `perfci-runner exec` with --suite, or the suite named after
`@` (`17@serving`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = Path("/tmp/perfci-gpu")
REPO = WORK / "engine"
RESULTS = WORK / "results"
OUT = Path(os.environ.get("OUT", "/tmp/perfci-gpu-out"))
RUNNER = HERE / "runner" / "perfci-runner"
STARTED = time.monotonic()


def elapsed() -> float:
    return time.monotonic() - STARTED


def say(line: str) -> None:
    print(f"[{elapsed():6.1f}s] {line}", flush=True)


def sh(command: list[str], timeout: float | None = None, log: Path | None = None) -> int:
    say("$ " + " ".join(command))
    with (open(log, "a") if log else open(os.devnull, "w")) as sink:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # A silent hang prints nothing to wake the loop below: a timer kills it.
        killer = threading.Timer(timeout, process.kill) if timeout else None
        if killer:
            killer.start()
        try:
            for line in process.stdout:
                sys.stdout.write(line)
                sink.write(line)
            return process.wait()
        finally:
            if killer:
                killer.cancel()


def machine_facts() -> None:
    facts = OUT / "machine.txt"
    with open(facts, "w") as f:
        for command in (
            ["nvidia-smi"],
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem,power.limit,persistence_mode", "--format=csv"],
            ["hostname"],
            ["nproc"],
            ["sh", "-c", "grep -m1 'model name' /proc/cpuinfo; free -g | head -2; uname -r"],
            ["python3", "-c", "import torch, transformers, aiohttp, sys; print(sys.version.split()[0], 'torch', torch.__version__, 'transformers', transformers.__version__, 'aiohttp', aiohttp.__version__)"],
        ):
            try:
                result = subprocess.run(command, capture_output=True, text=True, timeout=60)
                f.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
            except (OSError, subprocess.TimeoutExpired) as error:
                f.write(f"$ {' '.join(command)}\n{error}\n")
    say("machine: " + " | ".join(l for l in facts.read_text().splitlines() if "H100" in l or "H200" in l or "torch" in l)[:400])


def prepare() -> list[dict]:
    """The history (built once per machine) and a self-test of the engine on this GPU."""
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    table = WORK / "history.tsv"
    if not REPO.exists():
        if sh([sys.executable, str(HERE / "make-history.py"), str(REPO), "--table", str(table)]) != 0:
            raise SystemExit("device-run: make-history failed")
    shutil.copy(table, OUT / "history.tsv")
    marker = WORK / "self-test.passed"
    if not marker.exists() and os.environ.get("PERFCI_GPU_SELF_TEST", "1") != "0":
        # The engine as carried (sdpa) and main's tip (eager, a hook per layer): both paths must batch correctly.
        for engine in (HERE / "sample-engine" / "engine.py", REPO / "engine.py"):
            code = sh([sys.executable, str(engine), "--self-test"], timeout=240, log=WORK / "self-test.log")
            shutil.copy(WORK / "self-test.log", OUT / "self-test.log")
            if code != 0:
                # The timings of an engine whose batched rows drift from single rows are still its timings:
                # say so loudly, keep the log, and measure (device time is scarce).
                say(f"device-run: WARNING: the self-test of {engine} failed (exit {code}); see self-test.log")
        marker.touch()
    lines = table.read_text().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def pack() -> None:
    with tarfile.open(OUT / "results.tar.gz.tmp", "w:gz") as tar:
        tar.add(RESULTS, arcname="results")
    os.replace(OUT / "results.tar.gz.tmp", OUT / "results.tar.gz")


def exec_commit(row: dict, suite: str, durations: list[float], deadline: float) -> bool:
    """One suite at one commit; False when the deadline leaves no room for it."""
    estimate = max(durations[-3:]) * 1.15 if durations else 120.0
    if elapsed() + estimate > deadline:
        say(f"stopping: {row['index']} ({row['sha'][:12]}) would need ~{estimate:.0f}s, {deadline - elapsed():.0f}s left")
        return False
    runs = sorted(RESULTS.glob(f"{row['index']:0>3}-{row['sha'][:12]}-{suite}-run*.json"))
    target = RESULTS / f"{row['index']:0>3}-{row['sha'][:12]}-{suite}-run{len(runs) + 1}.json"
    began = time.monotonic()
    code = sh([str(RUNNER), "exec", "--repo", str(REPO), "--commit", row["sha"], "--suite", suite, "--out", str(target)],
              timeout=max(60.0, deadline - elapsed()), log=WORK / "exec.log")
    took = time.monotonic() - began
    durations.append(took)
    say(f"exec {row['index']} {row['sha'][:12]} ({row['effect']}): exit {code} in {took:.1f}s")
    with open(RESULTS / "durations.tsv", "a") as f:
        f.write(f"{row['index']}\t{row['sha']}\t{suite}\t{code}\t{took:.1f}\t{target.name}\n")
    pack()
    return True


def parse_plan(plan: str, rows: list[dict], suite: str) -> list[tuple[dict, str]]:
    """`0-26,pr1,26@serving`: commits (ranges allowed), each with --suite unless it names its own after @."""
    by_index = {r["index"]: r for r in rows}
    picked = []
    for part in plan.split(","):
        part, _, own = part.partition("@")
        if "-" in part:
            first, last = (int(x) for x in part.split("-"))
            picked += [(by_index[str(i)], own or suite) for i in range(first, last + 1) if str(i) in by_index]
        else:
            picked.append((by_index[part], own or suite))
    return picked


def sweep(args: argparse.Namespace, rows: list[dict]) -> None:
    durations: list[float] = []
    for row, suite in parse_plan(args.plan, rows, args.suite):
        if not exec_commit(row, suite, durations, args.deadline):
            break
    say(f"sweep done: {len(durations)} suites, {sum(durations):.0f}s; median {sorted(durations)[len(durations) // 2] if durations else 0:.1f}s each")
    (WORK / "sweep.done").touch()


def start(args: argparse.Namespace) -> int:
    if (WORK / "sweep.pid").exists():
        say("a sweep was started on this machine already: following it")
        return follow(args)
    log = open(WORK / "sweep.log", "w")
    # The next command's working tree replaces this one's, the folder this script runs from included:
    # a process that outlives the command must run from a copy, in a folder of its own (a deleted
    # working directory fails every later process start: .NET's Process.Start reads it).
    copy = WORK / "carry"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(HERE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    process = subprocess.Popen([sys.executable, "-u", str(copy / Path(__file__).name), "sweep", "--plan", args.plan, "--suite", args.suite, "--deadline", "100000"],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=WORK,
                               env={**os.environ, "OUT": str(WORK / "sweep-out")})
    (WORK / "sweep.pid").write_text(str(process.pid))
    say(f"sweep started detached (pid {process.pid}): {args.plan}")
    return follow(args)


def follow(args: argparse.Namespace) -> int:
    if not (WORK / "sweep.pid").exists():
        say("no sweep on this machine (a fresh one)")
        return 2
    if (WORK / "history.tsv").exists():
        shutil.copy(WORK / "history.tsv", OUT / "history.tsv")
    position = 0
    packed = None
    while True:
        text = (WORK / "sweep.log").read_text()
        sys.stdout.write(text[position:])
        sys.stdout.flush()
        position = len(text)
        # Pack after every finished suite: a command cut off at its time limit still returns what was measured.
        durations = RESULTS / "durations.tsv"
        if durations.exists() and durations.stat().st_mtime != packed:
            packed = durations.stat().st_mtime
            pack()
            shutil.copy(WORK / "sweep.log", OUT / "sweep.log")
        if (WORK / "sweep.done").exists():
            say("the sweep has finished")
            break
        if elapsed() > args.follow:
            say("following stops here; the sweep goes on (follow again in the next command)")
            break
        time.sleep(2)
    pack()
    shutil.copy(WORK / "sweep.log", OUT / "sweep.log")
    return 0


def bisect(args: argparse.Namespace, rows: list[dict]) -> None:
    by_index = {r["index"]: r for r in rows}
    good, bad = by_index[str(args.good)]["sha"], by_index[str(args.bad)]["sha"]
    target = RESULTS / f"bisect-{args.good}-{args.bad}-{args.metric}.json"
    command = [str(RUNNER), "bisect", "--repo", str(REPO), "--good", good, "--bad", bad, "--suite", args.suite,
               "--scenario", args.scenario, "--metric", args.metric, "--out", str(target), *args.extra]
    began = time.monotonic()
    code = sh(command, timeout=max(60.0, args.deadline - elapsed()), log=RESULTS / "bisect.log")
    say(f"bisect: exit {code} in {time.monotonic() - began:.1f}s")
    pack()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "sweep"):
        c = commands.add_parser(name)
        c.add_argument("--plan", required=True)
        c.add_argument("--suite", default="serving")
        c.add_argument("--deadline", type=float, default=560)
        c.add_argument("--follow", type=float, default=560)
    f = commands.add_parser("follow")
    f.add_argument("--follow", type=float, default=560)
    b = commands.add_parser("bisect")
    b.add_argument("--good", required=True, help="main's commit by index")
    b.add_argument("--bad", required=True, help="main's commit by index, or pr1 / pr2 / pr3")
    b.add_argument("--suite", default="quick")
    b.add_argument("--scenario", required=True)
    b.add_argument("--metric", required=True)
    b.add_argument("--deadline", type=float, default=560)
    b.add_argument("extra", nargs="*", help="more perfci-runner bisect options (after --)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
    if args.command == "follow":
        return follow(args)
    if args.command != "sweep":
        machine_facts()
    rows = prepare()
    say(f"history: {len(rows)} commits; self-test passed")
    if args.command == "start":
        return start(args)
    if args.command == "sweep":
        sweep(args, rows)
    else:
        bisect(args, rows)
    pack()
    return 0


if __name__ == "__main__":
    sys.exit(main())
