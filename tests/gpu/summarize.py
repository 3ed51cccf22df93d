#!/usr/bin/env python3
"""Tables of the GPU results: per-commit figures, noise across trials and across runs (Markdown).

  python3 tests/gpu/summarize.py tests/gpu/results                      # print the tables
  python3 tests/gpu/summarize.py tests/gpu/results --docs docs/gpu.md    # refresh them between docs' markers

Reads the result documents `perfci-runner exec` wrote (NNN-SHA12-SUITE-runK.json) and history.tsv, one
set of tables per suite. A figure is the median of a run's trials; with several runs of one commit, the
median of the runs'.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

HEADLINE = ["ttft_p50", "ttft_p99", "tpot_p50", "output_throughput", "prefill_throughput", "decode_throughput",
            "gpu_memory_peak", "energy_per_output_token"]
UNITS = {"ttft_p50": "ms", "ttft_p99": "ms", "tpot_p50": "ms", "output_throughput": "tok/s", "prefill_throughput": "tok/s",
         "decode_throughput": "tok/s", "gpu_memory_peak": "MiB", "energy_per_output_token": "J"}


def load(folder: Path):
    history = {}
    for line in (folder / "history.tsv").read_text().splitlines()[1:]:
        sha, index, branch, effect, subject = line.split("\t")
        history[sha[:12]] = {"sha": sha, "index": index, "branch": branch, "effect": effect, "subject": subject}
    suites = defaultdict(lambda: defaultdict(list))  # suite -> sha12 -> [document]
    for path in sorted(folder.glob("*-run*.json")):
        _, sha12, suite = path.name.split("-")[:3]
        suites[suite][sha12].append(json.loads(path.read_text()))
    return history, suites


def samples(document: dict, scenario: str, metric: str) -> list[float]:
    for s in document["scenarios"]:
        if s["name"] == scenario:
            for m in s["metrics"]:
                if m["name"] == metric:
                    return [float(x) for x in m["samples"]]
    return []


def cv(values: list[float]) -> float | None:
    if len(values) < 2 or statistics.mean(values) == 0:
        return None
    return statistics.stdev(values) / statistics.mean(values)


def robust_cv(values: list[float]) -> float | None:
    """1.4826 x MAD / median: what the change-point analysis calls a point's noise; one outlying trial barely moves it."""
    if len(values) < 2:
        return None
    median = statistics.median(values)
    return 1.4826 * statistics.median(abs(v - median) for v in values) / median if median else None


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def position(index: str) -> tuple[int, int]:
    """main's commits in order, then the pull requests (pr1, pr2, ...)."""
    return (1, int(index[2:] or 0)) if index.startswith("pr") else (0, int(index))


def order_key(item):
    return position(item[1]["index"])


def main() -> int:
    arguments = sys.argv[1:]
    if "--docs" in arguments:
        at = arguments.index("--docs")
        docs = Path(arguments[at + 1])
        del arguments[at:at + 2]
        import contextlib
        import io

        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            tables(Path(arguments[0] if arguments else "tests/gpu/results"))
        refresh(docs, buffer.getvalue())
        return 0
    return tables(Path(arguments[0] if arguments else "tests/gpu/results"))


def refresh(docs: Path, text: str) -> None:
    """Replaces each `<!-- gpu:NAME -->` ... `<!-- /gpu:NAME -->` region with the section of that name."""
    parts = text.split("## The server's verdicts\n")
    per_suite = parts[0].split("## Per commit: suite ")[1:]
    sections = {"figures": "\n".join("### Suite " + chunk.split("## Noise")[0] for chunk in per_suite),
                "noise": "\n".join("### Suite " + chunk.split("## Noise: suite ", 1)[1] for chunk in per_suite),
                "verdicts": parts[1] if len(parts) > 1 else ""}
    page = docs.read_text()
    for name, body in sections.items():
        begin, end = f"<!-- gpu:{name} -->", f"<!-- /gpu:{name} -->"
        if begin in page:
            head, rest = page.split(begin, 1)
            page = head + begin + "\n" + body.strip().replace("### ", "#### ") + "\n" + end + rest.split(end, 1)[1]
    docs.write_text(page)


def tables(folder: Path) -> int:
    history, suites = load(folder)
    for suite in sorted(suites, key=lambda name: name != "serving"):
        suite_tables(suite, history, suites[suite])
    comparisons(folder / "server", history)
    return 0


def suite_tables(suite: str, history: dict, runs: dict) -> None:
    commits = sorted(((sha12, history[sha12]) for sha12 in runs), key=order_key)
    scenarios = [s["name"] for s in next(iter(runs.values()))[0]["scenarios"] if s["name"] != "cold_start"]

    def figure(sha12: str, scenario: str, metric: str) -> float | None:
        medians = [statistics.median(v) for d in runs[sha12] if (v := samples(d, scenario, metric))]
        return statistics.median(medians) if medians else None

    print(f"## Per commit: suite {suite}\n")
    print("Median of 5 trials (of the runs' medians where a commit ran more than once). Cold start: engine spawn to its first completion.\n")
    print("| # | commit | effect | runs | cold start (s) |")
    print("|---:|---|---|---:|---:|")
    for sha12, row in commits:
        cold = [samples(d, "cold_start", "cold_start")[0] / 1000 for d in runs[sha12]]
        print(f"| {row['index']} | `{sha12[:8]}` | {row['effect']} | {len(runs[sha12])} | {fmt(statistics.median(cold))} |")
    for scenario in scenarios:
        print(f"\n### {suite}: {scenario}\n")
        print("| # | commit | " + " | ".join(f"{m} ({UNITS[m]})" for m in HEADLINE) + " |")
        print("|---:|---|" + "---:|" * len(HEADLINE))
        for sha12, row in commits:
            cells = [fmt(figure(sha12, scenario, m), 3 if m == "energy_per_output_token" else 1) for m in HEADLINE]
            print(f"| {row['index']} | `{sha12[:8]}` | " + " | ".join(cells) + " |")

    print(f"\n## Noise: suite {suite}\n")
    print("Across trials: the coefficient of variation (std / mean) of the 5 trials of one run, and its robust form (1.4826 MAD / median), "
          "each the median over all runs of all commits. "
          "Across runs: the CV of the run medians of each commit that ran 3 times, and of the commits of each stretch of main whose engine code is the same "
          "(a change and the neutral commits after it; each run a fresh engine, one machine, one sweep).\n")
    repeated = [sha12 for sha12, _ in commits if len(runs[sha12]) >= 3]
    # A stretch: a commit that changes performance and the neutral commits after it on main, all the same
    # engine code, each measured with a fresh engine: run-to-run noise from commit to commit.
    stretches: list[list[str]] = []
    for sha12, row in commits:
        if row["branch"] != "main":
            continue
        if row["effect"] != "neutral" or not stretches:
            stretches.append([])
        stretches[-1].append(sha12)
    stretches = [group for group in stretches if len(group) >= 3]
    columns = [f"CV across {len(runs[r])} runs of {history[r]['index']}" for r in repeated]
    columns += [f"CV across commits {history[g[0]]['index']}–{history[g[-1]]['index']} (same code)" for g in stretches]
    print("| scenario | metric | CV across 5 trials | robust CV across 5 trials | " + "".join(c + " | " for c in columns).rstrip() + ("" if columns else "|"))
    print("|---|---|---:|---:|" + "---:|" * len(columns))
    for scenario in scenarios:
        for metric in HEADLINE:
            trial_cvs = [c for sha12 in runs for d in runs[sha12] if (c := cv(samples(d, scenario, metric))) is not None]
            robust_cvs = [c for sha12 in runs for d in runs[sha12] if (c := robust_cv(samples(d, scenario, metric))) is not None]
            run_cvs = [cv([statistics.median(samples(d, scenario, metric)) for d in runs[r]]) for r in repeated]
            run_cvs += [cv([statistics.median(samples(d, scenario, metric)) for r in group for d in runs[r]]) for group in stretches]
            print(f"| {scenario} | {metric} | {fmt(100 * statistics.median(trial_cvs), 2) + '%' if trial_cvs else '–'} | {fmt(100 * statistics.median(robust_cvs), 2) + '%' if robust_cvs else '–'} |"
                  + "".join(" " + (fmt(100 * c, 2) + "%" if c is not None else "–") + " |" for c in run_cvs))
    colds = [cv([samples(d, "cold_start", "cold_start")[0] for d in runs[r]]) for r in repeated]
    colds += [cv([samples(d, "cold_start", "cold_start")[0] for r in group for d in runs[r]]) for group in stretches]
    if colds:
        print("| (engine) | cold_start | – | – |" + "".join(" " + fmt(100 * c, 2) + "% |" for c in colds))
    print()


def comparisons(folder: Path, history: dict) -> None:
    """What the server said about each run against its baseline (GET /api/runs/{id}/comparison), headline metrics only."""
    files = sorted(folder.glob("comparison-*.json"))
    if not files:
        return
    print("\n## The server's verdicts\n")
    print("Each uploaded run against its baseline (`GET /api/runs/{id}/comparison`): verdict counts over all series of the run, "
          "then the headline metrics at concurrency 16 (shift, and the smallest shift the comparison could have detected).\n")
    wanted = [("p512-o128-c16@c16", m) for m in ("ttft_p50", "tpot_p50", "output_throughput", "gpu_memory_peak")] + [("p512-o128-c1@c1", "ttft_p50")]
    print("| # | commit | effect | verdict | regr. / impr. / inconcl. | baseline commits | " + " | ".join(f"{m} @{sc.split('@')[1]}" for sc, m in wanted) + " |")
    print("|---:|---|---|---|---|---|" + "---|" * len(wanted))
    for path in files:
        d = json.loads(path.read_text())
        row = history[d["commit"][:12]]
        by = {(m["scenario"], m["metric"]): m for m in d["metrics"]}
        bases = sorted({history[c[:12]]["index"] for m in d["metrics"] for c in m.get("baselineCommits", []) if c[:12] in history}, key=position)
        cells = []
        for key in wanted:
            m = by.get(key)
            if m is None:
                cells.append("–")
                continue
            mark = {"regression": "❌", "improvement": "✅", "no_change": "=", "inconclusive": "?"}[m["verdict"]]
            shift = "–" if m["shift"] is None else f"{100 * m['shift']:+.1f}%"
            detectable = "" if m["minimumDetectableShift"] is None else f" (MDC {100 * m['minimumDetectableShift']:.1f}%)"
            cells.append(f"{mark} {shift}{detectable}")
        print(f"| {row['index']} | `{d['commit'][:8]}` | {row['effect']} | {d['verdict']} | {d['regressions']} / {d['improvements']} / {d['inconclusive']} | {', '.join(bases)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
