#!/usr/bin/env python3
"""PerfCI's sample engine: an OpenAI-compatible streaming server over a transformers Llama model.

The model is built from a config with seeded random weights (nothing is downloaded): by default four
decoder layers of Llama-3-70B's shape (hidden 8192, MLP 28672, 64 query and 8 key/value heads) and a
32k vocabulary, about 4B parameters in bfloat16. At that width a decode step's GPU work and the Python
that launches it take about as long as each other (4-5 ms on an H100), so a change to either shows in
the timings: narrower layers leave the GPU idle behind Python, wider ones hide Python behind the GPU.

Tokens are whitespace-separated words (a word's id is a hash of it), so a prompt of N words is N
tokens, as perfci-bench counts them. The model has no end-of-sequence token: every request generates
exactly max_tokens tokens, which is what ignore_eos and min_tokens ask for.

Serving: one scheduler thread batches every running sequence into one decode step per token
(continuous batching over transformers' DynamicCache; sequences of different lengths are left-padded
and masked), and admits new requests between steps. The HTTP side is aiohttp: /health, /v1/models,
/v1/completions and /v1/chat/completions, streamed as server-sent events the way vLLM streams them
(`data: {...}` chunks, usage in a last chunk when stream_options.include_usage is set, `data: [DONE]`).

  python3 engine.py --port 8000            # serve
  python3 engine.py --self-test            # check batched decoding against one sequence at a time
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import queue
import sys
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from aiohttp import web

MODEL_NAME = "perfci-sample-4b"
log = logging.getLogger("sample-engine")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="PerfCI's sample engine: a random-weight Llama behind an OpenAI-compatible API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--layers", type=int, default=4, help="decoder layers")
    parser.add_argument("--hidden", type=int, default=8192, help="hidden size")
    parser.add_argument("--intermediate", type=int, default=28672, help="MLP size")
    parser.add_argument("--heads", type=int, default=64, help="query heads")
    parser.add_argument("--kv-heads", type=int, default=8, help="key/value heads")
    parser.add_argument("--vocab", type=int, default=32000, help="vocabulary size")
    parser.add_argument("--max-model-len", type=int, default=4096, help="longest prompt plus output")
    parser.add_argument("--max-batch", type=int, default=32, help="sequences decoded together at most")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--self-test", action="store_true", help="check batched decoding, then exit")
    return parser.parse_args(argv)


class WordTokenizer:
    """One token per whitespace-separated word; a word's id is a hash of it, so ids are stable."""

    def __init__(self, vocab: int):
        self.vocab = vocab

    def encode(self, text: str) -> list[int]:
        return [zlib.crc32(word.encode()) % self.vocab for word in text.split()]

    @staticmethod
    def decode(token: int) -> str:
        return f" w{token}"


def load_model(args: argparse.Namespace):
    from transformers import AutoModelForCausalLM, LlamaConfig

    # PyTorch's cuDNN attention builds a graph for every new (batch, length) shape: ~50 ms of CPU per
    # decode step until each shape has been seen once, so a continuously batched decode, whose length
    # grows every step, ran 10x slower on every new batch size. Flash and memory-efficient kernels need no build.
    torch.backends.cuda.enable_cudnn_sdp(False)

    config = LlamaConfig(
        vocab_size=args.vocab,
        hidden_size=args.hidden,
        intermediate_size=args.intermediate,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads,
        max_position_embeddings=args.max_model_len,
        tie_word_embeddings=False,
    )
    with torch.device(args.device):
        model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa", dtype=torch.bfloat16)
    model.to(dtype=torch.bfloat16)
    # Weights are drawn here rather than left to the library's initialiser, whose choices differ
    # between versions: the same seed gives the same model on every machine.
    torch.manual_seed(args.seed)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() >= 2:
                parameter.normal_(0.0, 0.02)
            else:
                parameter.fill_(1.0)
    model.eval()
    return model


def attention_of(model) -> str:
    return str(getattr(model.config, "_attn_implementation", "unknown"))


@dataclass(eq=False)
class Request:
    """One generation: its prompt's token ids, how many tokens to make, and where each one goes."""

    prompt: list[int]
    max_tokens: int
    on_token: Callable[[int | None, str | None, str | None], None]  # token, finish reason, error
    generated: int = 0
    done: bool = False
    cancelled: bool = False
    arrived: float = field(default_factory=time.monotonic)


class Engine:
    """Continuous batching: every running sequence advances one token per decode step."""

    def __init__(self, model, device: str, max_batch: int):
        self.model = model
        self.device = torch.device(device)
        self.max_batch = max_batch
        self.incoming: queue.Queue[Request] = queue.Queue()
        self.waiting: list[Request] = []
        self.requests: list[Request] = []  # running, in batch-row order
        self.cache = None  # DynamicCache of the running batch: [rows, kv heads, columns, head dim] per layer
        self.mask: torch.Tensor | None = None  # [rows, columns]: 1 where a column holds a real token
        self.positions: torch.Tensor | None = None  # [rows]: the position of each row's next input token
        self.last: torch.Tensor | None = None  # [rows]: each row's next input token
        self.last_logits: torch.Tensor | None = None
        self.steps = 0

    # --- the scheduler thread ---------------------------------------------------------------

    def submit(self, request: Request) -> None:
        self.incoming.put(request)

    def run_forever(self) -> None:
        try:
            with torch.inference_mode():
                while True:
                    self.step(block=True)
        except BaseException as error:  # the engine cannot go on: fail every request, then exit
            log.exception("scheduler failed")
            for request in self.requests + self.waiting:
                request.on_token(None, None, f"engine error: {error}")
            sys.stderr.flush()
            import os

            os._exit(1)

    def step(self, block: bool) -> None:
        """Admits what has arrived (waiting for work when idle), then decodes one token for every running row."""
        if not self.requests and not self.waiting and block:
            self.waiting.append(self.incoming.get())
        while True:
            try:
                self.waiting.append(self.incoming.get_nowait())
            except queue.Empty:
                break
        room = self.max_batch - len(self.requests)
        admit, self.waiting = self.waiting[:room], self.waiting[room:]
        admit = [r for r in admit if not r.cancelled]
        if admit:
            self._admit(admit)
        self._drop_finished()
        if self.requests:
            self._decode()
            self._drop_finished()

    def _admit(self, requests: list[Request]) -> None:
        # Requests with prompts of one length prefill together: one forward, no padding.
        by_length: dict[int, list[Request]] = {}
        for request in requests:
            by_length.setdefault(len(request.prompt), []).append(request)
        for group in by_length.values():
            self._prefill(group)

    def _prefill(self, group: list[Request]) -> None:
        ids = torch.tensor([r.prompt for r in group], dtype=torch.long, device=self.device)
        out = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
        logits = out.logits[:, -1, :]
        first = logits.argmax(dim=-1)
        self.last_logits = logits
        self._emit(group, first.tolist())
        self._join(out.past_key_values, group, first, ids.shape[1])

    def _decode(self) -> None:
        rows = len(self.requests)
        mask = torch.cat([self.mask, self.mask.new_ones((rows, 1))], dim=1)
        out = self.model(
            input_ids=self.last[:, None],
            attention_mask=mask,
            position_ids=self.positions[:, None],
            past_key_values=self.cache,
            use_cache=True,
            logits_to_keep=1,
        )
        logits = out.logits[:, -1, :]
        nxt = logits.argmax(dim=-1)
        self.cache = out.past_key_values
        self.mask = mask
        self.positions = self.positions + 1
        self.last = nxt
        self.last_logits = logits
        self.steps += 1
        self._emit(self.requests, nxt.tolist())

    def _emit(self, requests: list[Request], tokens: list[int]) -> None:
        for request, token in zip(requests, tokens):
            if request.done:
                continue
            request.generated += 1
            finished = request.generated >= request.max_tokens
            request.on_token(token, "length" if finished else None, None)
            if finished:
                request.done = True

    # --- the batch's KV cache ---------------------------------------------------------------

    @staticmethod
    def _layers(cache):
        return cache.layers

    def _join(self, cache, group: list[Request], first: torch.Tensor, length: int) -> None:
        """Adds freshly prefilled rows to the running batch, left-padding the shorter side."""
        rows = len(group)
        mask = torch.ones((rows, length), dtype=torch.long, device=self.device)
        positions = torch.full((rows,), length, dtype=torch.long, device=self.device)
        if self.cache is None:
            self.cache, self.mask, self.positions, self.last = cache, mask, positions, first
            self.requests = list(group)
            return
        old = self.mask.shape[1]
        width = max(old, length)
        for running, new in zip(self._layers(self.cache), self._layers(cache)):
            running.keys = torch.cat([F.pad(running.keys, (0, 0, width - old, 0)), F.pad(new.keys, (0, 0, width - length, 0))], dim=0)
            running.values = torch.cat([F.pad(running.values, (0, 0, width - old, 0)), F.pad(new.values, (0, 0, width - length, 0))], dim=0)
        self.mask = torch.cat([F.pad(self.mask, (width - old, 0)), F.pad(mask, (width - length, 0))], dim=0)
        self.positions = torch.cat([self.positions, positions])
        self.last = torch.cat([self.last, first])
        self.requests.extend(group)

    def _drop_finished(self) -> None:
        keep = [i for i, r in enumerate(self.requests) if not (r.done or r.cancelled)]
        if len(keep) == len(self.requests):
            return
        if not keep:
            self.requests, self.cache, self.mask, self.positions, self.last = [], None, None, None, None
            return
        index = torch.tensor(keep, dtype=torch.long, device=self.device)
        mask = self.mask[index]
        # Columns that only finished rows used are padding for everyone left: cut them off.
        start = int(mask.any(dim=0).nonzero()[0])
        for layer in self._layers(self.cache):
            layer.keys = layer.keys[index, :, start:]
            layer.values = layer.values[index, :, start:]
        self.mask = mask[:, start:]
        self.positions = self.positions[index]
        self.last = self.last[index]
        self.requests = [self.requests[i] for i in keep]


# --- HTTP ---------------------------------------------------------------------------------------


class Server:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.tokenizer = WordTokenizer(args.vocab)
        self.engine: Engine | None = None
        self.ready = threading.Event()
        self.started = time.monotonic()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/health", self.health)
        app.router.add_get("/v1/models", self.models)
        app.router.add_post("/v1/completions", self.completions)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.on_startup.append(self._start_loading)
        return app

    async def _start_loading(self, _app) -> None:
        threading.Thread(target=self._load_and_serve, name="scheduler", daemon=True).start()

    def _load_and_serve(self) -> None:
        try:
            started = time.monotonic()
            model = load_model(self.args)
            engine = Engine(model, self.args.device, self.args.max_batch)
            with torch.inference_mode():  # first kernels, cuBLAS handles: before ready, as any engine warms up
                engine._prefill([Request([1] * 16, 2, lambda *_: None)])
                engine._decode()
                engine._drop_finished()
                engine.requests, engine.cache, engine.mask, engine.positions, engine.last = [], None, None, None, None
            if self.args.device.startswith("cuda"):
                torch.cuda.synchronize()
                log.info("GPU memory after load: %.0f MiB allocated", torch.cuda.max_memory_allocated() / 2**20)
            log.info(
                "model ready in %.1f s: %.2fB parameters, attention %s, dtype %s",
                time.monotonic() - started,
                sum(p.numel() for p in model.parameters()) / 1e9,
                attention_of(model),
                next(model.parameters()).dtype,
            )
            self.engine = engine
            self.ready.set()
        except BaseException:
            log.exception("loading the model failed")
            import os

            os._exit(1)
        self.engine.run_forever()

    async def health(self, _request: web.Request) -> web.Response:
        if not self.ready.is_set():
            return web.json_response({"status": "loading"}, status=503)
        return web.json_response({"status": "ok"})

    async def models(self, _request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "owned_by": "perfci"}]})

    async def completions(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, chat=False)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        return await self._generate(request, chat=True)

    async def _generate(self, request: web.Request, chat: bool) -> web.StreamResponse:
        if not self.ready.is_set():
            return _error(503, "the model is still loading")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        if chat:
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                return _error(400, "messages: a non-empty list is required")
            text = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        else:
            text = body.get("prompt")
            if isinstance(text, list) and len(text) == 1 and isinstance(text[0], str):
                text = text[0]
            if not isinstance(text, str):
                return _error(400, "prompt: a string is required")
        prompt = self.tokenizer.encode(text)
        if not prompt:
            return _error(400, "prompt: at least one word is required")
        max_tokens = body.get("max_tokens", body.get("max_completion_tokens", 16))
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            return _error(400, "max_tokens: a positive integer is required")
        if len(prompt) + max_tokens > self.args.max_model_len:
            return _error(400, f"max_tokens: prompt ({len(prompt)}) plus max_tokens ({max_tokens}) exceeds {self.args.max_model_len}")
        options = body.get("stream_options") or {}
        include_usage = bool(options.get("include_usage"))
        continuous_usage = bool(options.get("continuous_usage_stats"))

        loop = asyncio.get_running_loop()
        tokens: asyncio.Queue = asyncio.Queue()
        generation = Request(prompt, max_tokens, lambda *item: loop.call_soon_threadsafe(tokens.put_nowait, item))
        self.engine.submit(generation)
        response_id = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex
        created = int(time.time())
        kind = "chat.completion" if chat else "text_completion"

        def usage(completion: int) -> dict:
            return {"prompt_tokens": len(prompt), "completion_tokens": completion, "total_tokens": len(prompt) + completion}

        if not body.get("stream"):
            text_out, finish = [], None
            while finish is None:
                token, finish, error = await tokens.get()
                if error:
                    return _error(500, error)
                text_out.append(self.tokenizer.decode(token))
            choice = {"index": 0, "finish_reason": finish}
            if chat:
                choice["message"] = {"role": "assistant", "content": "".join(text_out)}
            else:
                choice["text"] = "".join(text_out)
            return web.json_response({"id": response_id, "object": kind, "created": created, "model": MODEL_NAME, "choices": [choice], "usage": usage(len(text_out))})

        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        chunk_kind = "chat.completion.chunk" if chat else "text_completion"

        async def send(payload: dict | str) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
            await response.write(f"data: {data}\n\n".encode())

        try:
            count, finish = 0, None
            while finish is None:
                token, finish, error = await tokens.get()
                if error:
                    await send({"error": {"message": error, "type": "engine_error", "code": 500}})
                    break
                count += 1
                text = self.tokenizer.decode(token)
                if chat:
                    delta = {"content": text} if count > 1 else {"role": "assistant", "content": text}
                    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                else:
                    choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
                chunk = {"id": response_id, "object": chunk_kind, "created": created, "model": MODEL_NAME, "choices": [choice]}
                if continuous_usage:
                    chunk["usage"] = usage(count)
                await send(chunk)
            if include_usage:
                await send({"id": response_id, "object": chunk_kind, "created": created, "model": MODEL_NAME, "choices": [], "usage": usage(count)})
            await send("[DONE]")
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            generation.cancelled = True  # the client went away: stop spending decode steps on it
            raise
        return response


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": "invalid_request_error" if status == 400 else "server_error", "code": status}}, status=status)


def self_test(args: argparse.Namespace) -> int:
    """Rows of different lengths decoded together must match each decoded alone (padding, masks, positions)."""
    model = load_model(args)
    tokenizer = WordTokenizer(args.vocab)
    prompts = [tokenizer.encode(" ".join(f"word{i}" for i in range(n))) for n in (23, 7, 7)]

    def run(engine: Engine, batch: list[list[int]], steps: int) -> list[torch.Tensor]:
        for prompt in batch:
            engine.submit(Request(prompt, steps + 1, lambda *_: None))
        seen = []
        engine.step(block=False)  # admit (prefill) and the first decode step
        seen.append(engine.last_logits.float().clone())
        for _ in range(steps - 1):
            engine._decode()
            seen.append(engine.last_logits.float().clone())
        return seen

    worst = 0.0
    with torch.inference_mode():
        together = run(Engine(model, args.device, args.max_batch), prompts, 3)
        for row, prompt in enumerate(prompts):
            alone = run(Engine(model, args.device, args.max_batch), [prompt], 3)
            for step, (a, b) in enumerate(zip(alone, together)):
                error = float((a[0] - b[row]).norm() / a[0].norm())
                worst = max(worst, error)
                print(f"self-test: row {row} (prompt {len(prompt)}) step {step}: relative difference {error:.2e}")
    print(f"self-test: attention {attention_of(model)}, dtype {next(model.parameters()).dtype}, worst relative difference {worst:.2e}")
    ok = worst < 0.05
    print("self-test: " + ("passed" if ok else "FAILED: batched rows do not match rows decoded alone"))
    return 0 if ok else 1


def main() -> int:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    # The scheduler thread holds the GIL while it launches kernels; a short switch interval lets
    # the HTTP thread stream each token without waiting out the default 5 ms slice.
    sys.setswitchinterval(0.0005)
    if args.self_test:
        return self_test(args)
    server = Server(args)
    web.run_app(server.app(), host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
