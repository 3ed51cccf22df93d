#!/usr/bin/env python3
"""Builds a git repository of the sample engine whose history holds real GPU performance changes.

  python3 tests/gpu/make-history.py OUT_DIR [--table history.tsv]

The first-parent history of `main` has 18 commits in two stretches of nine, so that PerfCI's change-point
analysis (Mann-Whitney at p < 0.001 after correcting for the scan over 2 x 5 + 1 positions: 9 points a side
with at most one out of order) can see the step with the points around it:

  0-8    the engine as it started (one prefill per request), neutral commits after it
  9      regression: attention switched from sdpa to eager; neutral commits after it

and three pull requests' branches off main's tip (17), one commit each:

  pr1    pr/fp32-mlp: the MLPs in float32
  pr2    pr/finite-check: a finiteness check after every decoder layer, a GPU synchronisation per layer per token
  pr3    pr/batched-prefill: requests of one prompt length prefilled together in one forward (an improvement)

Every other commit is neutral (docs, options with unchanged defaults, comments). Authors and dates are
fixed, so the same input gives the same shas on every machine. The table (stdout, and --table as TSV)
lists sha, position, branch, intended effect and subject.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENGINE = HERE / "sample-engine"

BATCHED_ADMIT = '''    def _admit(self, requests: list[Request]) -> None:
        # Requests with prompts of one length prefill together: one forward, no padding.
        by_length: dict[int, list[Request]] = {}
        for request in requests:
            by_length.setdefault(len(request.prompt), []).append(request)
        for group in by_length.values():
            self._prefill(group)
'''

SEQUENTIAL_ADMIT = '''    def _admit(self, requests: list[Request]) -> None:
        for request in requests:
            self._prefill([request])
'''

FINITE_CHECK_FUNCTION = '''def _check_finite(module, _args, output):
    hidden = output[0] if isinstance(output, tuple) else output
    if not bool(torch.isfinite(hidden).all()):
        raise FloatingPointError(f"non-finite activations after {module.__class__.__name__}")


def load_model(args: argparse.Namespace):
'''

FINITE_CHECK_HOOKS = '''    model.eval()
    # Fail fast on a numerical blow-up instead of streaming garbage: check every layer's output.
    for layer in model.model.layers:
        layer.register_forward_hook(_check_finite)
    return model
'''

FLOAT32_MLP = '''    model.eval()
    # The MLP is where bfloat16 loses the most precision on long prompts: keep it in float32.
    for layer in model.model.layers:
        layer.mlp.float()
        layer.mlp.register_forward_pre_hook(lambda _module, args: (args[0].float(),))
        layer.mlp.register_forward_hook(lambda _module, _args, output: output.to(torch.bfloat16))
    return model
'''


class Tree:
    """The files of the engine's repository, edited commit by commit."""

    def __init__(self, files: dict[str, str]):
        self.files = dict(files)

    def replace(self, path: str, old: str, new: str) -> None:
        text = self.files[path]
        if text.count(old) != 1:
            raise SystemExit(f"make-history: expected exactly one {old!r} in {path}, found {text.count(old)}")
        self.files[path] = text.replace(old, new)

    def append(self, path: str, text: str) -> None:
        self.files[path] = self.files.get(path, "") + text

    def write(self, path: str, text: str) -> None:
        self.files[path] = text


def initial_tree() -> Tree:
    engine = (ENGINE / "engine.py").read_text()
    tree = Tree({
        "engine.py": engine,
        "perfci.yml": (ENGINE / "perfci.yml").read_text(),
        "README.md": (ENGINE / "README.md").read_text().split("`../make-history.py`")[0].rstrip() + "\n",
    })
    # The engine as it started: one prefill per admitted request.
    tree.replace("engine.py", BATCHED_ADMIT, SEQUENTIAL_ADMIT)
    tree.replace("README.md", ", prompts of one length prefilled together", ", each prefilled on its own")
    return tree


def changelog(line: str):
    return lambda t: t.append("CHANGELOG.md", f"- {line}\n")


# (subject, effect, edit). Effect is "neutral" unless the commit changes what the GPU does.
NEUTRAL_A = [
    ("Ignore Python caches", lambda t: t.write(".gitignore", "__pycache__/\n*.pyc\n")),
    ("README: how to try the API with curl", lambda t: t.append("README.md", "\n```bash\ncurl -N localhost:8000/v1/completions -d '{\"prompt\": \"hello world\", \"max_tokens\": 8, \"stream\": true}'\n```\n")),
    ("Start a changelog", lambda t: t.write("CHANGELOG.md", "# Changelog\n\n")),
    ("Pin the Python requirements", lambda t: t.write("requirements.txt", "torch>=2.4\ntransformers>=5.0\naiohttp>=3.9\n")),
    ("engine: say which model is served in the ready line", lambda t: t.replace("engine.py", '"model ready in %.1f s', '"' + "perfci-sample-4b ready in %.1f s")),
    ("perfci.yml: say what the suites measure", lambda t: t.replace("perfci.yml", "suites:\n", "# TTFT, TPOT, throughput, GPU memory and energy at each concurrency; cold start per engine start.\nsuites:\n")),
    ("engine: document the error shape", lambda t: t.replace("engine.py", "def _error(status: int, message: str) -> web.Response:\n", "def _error(status: int, message: str) -> web.Response:\n    \"\"\"An OpenAI-style error object: message, type, code.\"\"\"\n")),
    ("Changelog: 0.1.0", changelog("0.1.0: streaming completions and chat, continuous batching, /health")),
]

NEUTRAL_B = [
    ("engine: clearer message for a prompt that is not a string", lambda t: t.replace("engine.py", '"prompt: a string is required"', '"prompt: a string (or a list of one string) is required"')),
    ("README: the endpoints", lambda t: t.append("README.md", "\nEndpoints: `/health`, `/v1/models`, `/v1/completions`, `/v1/chat/completions`.\n")),
    ("Changelog: chat completions", changelog("chat completions stream a role in their first delta")),
    ("engine: /v1/models says the context length", lambda t: t.replace("engine.py", '"owned_by": "perfci"}]}', '"owned_by": "perfci", "max_model_len": self.args.max_model_len}]}')),
    ("Add a smoke script", lambda t: t.write("smoke.sh", "#!/usr/bin/env bash\n# Streams one completion from a running engine: ./smoke.sh [PORT]\ncurl -sN \"localhost:${1:-8000}/v1/completions\" -d '{\"prompt\": \"one two three\", \"max_tokens\": 4, \"stream\": true}'\n")),
    ("engine: comment the cache layout", lambda t: t.replace("engine.py", "    # --- the batch's KV cache ---", "    # --- the batch's KV cache (one DynamicCache; rows left-padded to a common width) ---")),
    ("Changelog: models endpoint", changelog("/v1/models reports max_model_len")),
    ("README: determinism", lambda t: t.append("README.md", "\nThe same `--seed` gives the same weights on every machine, so outputs are reproducible.\n")),
]


def effect_commits():
    eager = ("Use eager attention: its logits match the reference implementation exactly",
             "regression: attention sdpa -> eager",
             lambda t: t.replace("engine.py", 'attn_implementation="sdpa"', 'attn_implementation="eager"'))
    batched = ("Prefill requests of one prompt length together",
               "improvement (pull request): batched prefill",
               lambda t: (t.replace("engine.py", SEQUENTIAL_ADMIT, BATCHED_ADMIT),
                          t.replace("README.md", ", each prefilled on its own", ", prompts of one length prefilled together")))
    finite = ("Fail fast on non-finite activations",
              "regression (pull request): a GPU synchronisation per decoder layer per token",
              lambda t: (t.replace("engine.py", "def load_model(args: argparse.Namespace):\n", FINITE_CHECK_FUNCTION),
                         t.replace("engine.py", "    model.eval()\n    return model\n", FINITE_CHECK_HOOKS)))
    fp32 = ("Keep the MLPs in float32 for precision on long prompts",
            "regression (pull request): MLPs in float32 instead of bfloat16",
            lambda t: t.replace("engine.py", "    model.eval()\n    return model\n", FLOAT32_MLP))
    return eager, batched, finite, fp32


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


def commit(repo: Path, tree: Tree, subject: str, index: int) -> str:
    for path, text in tree.files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        if path.endswith(".sh"):
            target.chmod(0o755)
    date = (datetime(2026, 11, 1, tzinfo=timezone.utc) + timedelta(minutes=15 * index)).isoformat()
    env = {**os.environ, "GIT_AUTHOR_NAME": "Sample Engine Dev", "GIT_AUTHOR_EMAIL": "dev@example.invalid",
           "GIT_COMMITTER_NAME": "Sample Engine Dev", "GIT_COMMITTER_EMAIL": "dev@example.invalid",
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", subject, env=env)
    return git(repo, "rev-parse", "HEAD")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory for the new repository (must not exist)")
    parser.add_argument("--table", type=Path, help="also write the table as TSV here")
    args = parser.parse_args()
    if args.out.exists():
        raise SystemExit(f"make-history: {args.out} exists; give a new directory")
    args.out.mkdir(parents=True)
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main", str(args.out)], check=True)

    eager, batched, finite, fp32 = effect_commits()
    tree = initial_tree()
    rows = []

    def record(sha: str, index: int | str, branch: str, effect: str, subject: str) -> None:
        rows.append((sha, str(index), branch, effect, subject))

    index = 0
    record(commit(args.out, tree, "Sample engine: a random-weight Llama behind an OpenAI-compatible streaming API", index), index, "main", "baseline", "Sample engine: a random-weight Llama behind an OpenAI-compatible streaming API")
    plan = NEUTRAL_A + [eager] + NEUTRAL_B
    for item in plan:
        index += 1
        subject, effect, edit = item if len(item) == 3 else (item[0], "neutral", item[1])
        edit(tree)
        sha = commit(args.out, tree, subject, index)
        record(sha, index, "main", effect, subject)

    # The pull requests: each one commit on a branch off main's tip.
    tip = git(args.out, "rev-parse", "HEAD")
    for number, (branch, change) in enumerate([("pr/fp32-mlp", fp32), ("pr/finite-check", finite), ("pr/batched-prefill", batched)], start=1):
        pr_tree = Tree(tree.files)
        git(args.out, "checkout", "--quiet", "-b", branch, tip)
        subject, effect, edit = change
        edit(pr_tree)
        record(commit(args.out, pr_tree, subject, 100 + number), f"pr{number}", branch, effect, subject)
        git(args.out, "checkout", "--quiet", "main")

    header = ("sha", "index", "branch", "effect", "subject")
    if args.table:
        args.table.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n")
    print(f"{'sha':<12}  {'#':>3}  {'branch':<12}  {'effect':<58}  subject")
    for sha, idx, branch, effect, subject in rows:
        print(f"{sha[:12]}  {idx:>3}  {branch:<12}  {effect:<58}  {subject}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
