#!/usr/bin/env python3
"""Measures the sample engine's own prefill and decode steps for a model shape, and what each injected
change does to them, without HTTP or a runner: how the engine's shape was chosen.

  python3 tests/gpu/probe-shapes.py OUT_FILE [--shape narrow|wide ...]

For each shape: import and build times, then with the engine's own Engine class (so the KV-cache
handling is the engine's): prefill of 1 and 16 prompts of 512 tokens (together and one by one), and
decode steps at 1, 4 and 16 rows (median and spread of 40 steps, after 5), GPU memory peak; then the
same with each change of the history applied to the built model: eager attention, a finiteness check
(a synchronisation) after every decoder layer, the MLPs in float32, the LM head in float32.
A shape is good for the history when the GPU's work dominates a decode step (the changes then move
it by more than the step-to-step spread).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

started = time.monotonic()
import torch  # noqa: E402

torch_import_s = time.monotonic() - started
import transformers  # noqa: E402,F401

imports_s = time.monotonic() - started
sys.path.insert(0, str(Path(__file__).resolve().parent / "sample-engine"))
import engine as E  # noqa: E402

SHAPES = {
    # name: (layers, hidden, intermediate, heads, kv heads, vocab)
    "narrow": (4, 4096, 14336, 32, 8, 32000),
    "mid": (4, 8192, 28672, 64, 8, 32000),
    "wide": (4, 16384, 53248, 128, 8, 32000),
    "wide-vocab": (4, 16384, 53248, 128, 8, 128256),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--shape", action="append", choices=sorted(SHAPES))
    parser.add_argument("--steps", type=int, default=40)
    options = parser.parse_args()
    out = open(options.out, "w", buffering=1)

    def say(line: str) -> None:
        print(line, flush=True)
        out.write(line + "\n")

    say(f"torch {torch.__version__}, transformers {transformers.__version__}, {torch.cuda.get_device_name()}")
    say(f"import torch {torch_import_s:.1f} s, torch + transformers {imports_s:.1f} s")
    for name in options.shape or ["narrow", "wide"]:
        layers, hidden, intermediate, heads, kv, vocab = SHAPES[name]
        args = E.parse_args(["--layers", str(layers), "--hidden", str(hidden), "--intermediate", str(intermediate),
                             "--heads", str(heads), "--kv-heads", str(kv), "--vocab", str(vocab)])
        t = time.monotonic()
        model = E.load_model(args)
        torch.cuda.synchronize()
        params = sum(p.numel() for p in model.parameters()) / 1e9
        say(f"\n== {name}: {layers} layers, hidden {hidden}, MLP {intermediate}, {heads}/{kv} heads, vocab {vocab}: "
            f"{params:.2f}B parameters, built in {time.monotonic() - t:.1f} s, {torch.cuda.memory_allocated() / 2**30:.1f} GiB")
        probe(model, "base", say, options.steps)
        hooks = [layer.register_forward_hook(check_finite) for layer in model.model.layers]
        probe(model, "finite-check", say, options.steps, rows=(1, 16))
        for hook in hooks:
            hook.remove()
        set_attention(model, "eager")
        probe(model, "eager", say, options.steps, rows=(1, 16))
        set_attention(model, "sdpa")
        probe(model, "base-again", say, options.steps, rows=(1, 16))
        head = model.lm_head
        head.float()
        pre = head.register_forward_pre_hook(lambda _m, a: (a[0].float(),))
        probe(model, "fp32-lm-head", say, options.steps, rows=(1, 16))
        pre.remove()
        head.to(torch.bfloat16)
        for layer in model.model.layers:
            layer.mlp.float()
            layer.mlp.register_forward_pre_hook(lambda _m, a: (a[0].float(),))
            layer.mlp.register_forward_hook(lambda _m, _a, o: o.to(torch.bfloat16))
        probe(model, "fp32-mlp", say, options.steps, rows=(1, 16))
        del model
        torch.cuda.empty_cache()
    return 0


def set_attention(model, implementation: str) -> None:
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation(implementation)
    else:
        model.config._attn_implementation = implementation


def check_finite(module, _args, output):
    hidden = output[0] if isinstance(output, tuple) else output
    if not bool(torch.isfinite(hidden).all()):
        raise FloatingPointError("non-finite")


def probe(model, label: str, say, steps: int, rows=(1, 4, 16)) -> None:
    with torch.inference_mode():
        for count in rows:
            engine = E.Engine(model, "cuda", 64)
            prompts = [[(r * 131 + j * 7) % 30000 + 1 for j in range(512)] for r in range(count)]
            requests = [E.Request(p, steps + 10, lambda *_: None) for p in prompts]
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            t = time.monotonic()
            engine._admit(requests)  # one forward for prompts of one length
            torch.cuda.synchronize()
            together_ms = (time.monotonic() - t) * 1000
            times = []
            for _ in range(steps):
                t = time.monotonic()
                engine._decode()
                times.append((time.monotonic() - t) * 1000)
            peak = torch.cuda.max_memory_allocated() / 2**20
            serial_ms = None
            if count > 1:
                alone = E.Engine(model, "cuda", 64)
                torch.cuda.synchronize()
                t = time.monotonic()
                for request in [E.Request(p, 2, lambda *_: None) for p in prompts]:
                    alone._prefill([request])
                torch.cuda.synchronize()
                serial_ms = (time.monotonic() - t) * 1000
            kept = times[5:]
            say(f"{label:13s} rows {count:2d}: prefill {together_ms:7.1f} ms together"
                + (f", {serial_ms:7.1f} ms one by one" if serial_ms is not None else "")
                + f"; decode step p50 {statistics.median(kept):6.2f} ms (min {min(kept):6.2f}, max {max(kept):6.2f},"
                f" cv {statistics.stdev(kept) / statistics.mean(kept) * 100:4.1f}%); peak {peak:,.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
