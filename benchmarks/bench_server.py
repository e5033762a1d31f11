"""Generation against a real OpenAI-compatible server: the gate's side, a plain client, lm-eval.

Serves the embedded SmolLM2 GGUF with llama-cpp-python's server (started and stopped here) and
sends the same requests three ways, at the same concurrency, with the same prompts (the
default gate's factual-suite prompts, plain and sad, as generate mode asks them), the same
most-new-tokens and temperature 0:

- ``plain``: a thread pool that only posts ``/v1/chat/completions`` with urllib: the server's
  own limit;
- ``ours``: the gate's side (:class:`~pytest_warmth.backends.openai.sides.ServerSide`, through
  the backend as the gate loads it, no answer cache);
- ``lm-eval``: lm-evaluation-harness's ``local-chat-completions`` model (``generate_until``),
  run by ``--lm-eval-python`` (a Python that has ``lm-eval[api]``), when given.

Each is run ``--repeats`` times in turn (plain, ours, lm-eval, plain, ...) after one untimed
warm-up request; the median request rate counts. Targets: ours within 10 % of plain, and at
least lm-eval's.

    python benchmarks/bench_server.py [--prompts 48] [--concurrency 4] [--max-new-tokens 32]
        [--repeats 3] [--lm-eval-python PATH] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pytest_warmth import gate
from pytest_warmth.backends.hf.spec import embedded_model_path
from pytest_warmth.backends.openai import OpenAIBackend
from pytest_warmth.backends.openai.testing import LlamaServer
from pytest_warmth.backends.protocol import LoadOptions, ModelRequest
from pytest_warmth.settings import WarmthSettings

MODEL = "smollm2"
TARGETS = {"ours_vs_plain": 0.9, "ours_vs_lm_eval": 1.0}

LM_EVAL = r"""
import json, sys, time
from lm_eval.api.instance import Instance
from lm_eval.models.api_models import JsonChatStr
from lm_eval.models.openai_completions import LocalChatCompletion

url, model, concurrency, max_new, path = sys.argv[1:6]
prompts = json.load(open(path))
lm = LocalChatCompletion(
    base_url=f"{url}/chat/completions", model=model, num_concurrent=int(concurrency),
    max_retries=3, tokenized_requests=False, tokenizer_backend=None,
)
def requests(items):
    kwargs = {"until": [], "max_gen_toks": int(max_new), "do_sample": False, "temperature": 0}
    chats = [JsonChatStr(json.dumps([{"role": "user", "content": p}])) for p in items]
    return [Instance("generate_until", {}, (c, dict(kwargs)), i) for i, c in enumerate(chats)]
lm.generate_until(requests(prompts[:1]), disable_tqdm=True)
start = time.perf_counter()
replies = lm.generate_until(requests(prompts), disable_tqdm=True)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "replies": replies}))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=48)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lm-eval-python", type=Path, help="a Python with lm-eval[api]")
    parser.add_argument("--json", type=Path, help="write the figures here")
    return parser.parse_args()


def gate_prompts(count: int) -> list[str]:
    """The default gate's factual prompts in generate mode (plain and sad), ``count`` of them."""
    settings = WarmthSettings(model=MODEL, suites=("factual",), beliefs=("none",))
    plan = gate.build_plan(settings)
    prompts = [m for cell in plan.cells for m in gate.cell_messages(plan, cell)]
    step = max(1, len(prompts) // count)
    return prompts[::step][:count]


def plain_client(url: str, prompts: list[str], concurrency: int, max_new: int) -> list[str]:
    """Only the requests: urllib posts from a thread pool, replies in order."""

    def ask(prompt: str) -> str:
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
            "max_tokens": max_new,
        }
        request = urllib.request.Request(
            f"{url}/chat/completions", json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=300) as response:
            return str(json.load(response)["choices"][0]["message"]["content"]).strip()

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(ask, prompts))


def lm_eval_client(
    python: Path, url: str, prompts: list[str], concurrency: int, max_new: int
) -> tuple[float, list[str]]:
    """lm-eval's local-chat-completions in its own interpreter: (seconds, replies)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(prompts, handle)
    done = subprocess.run(
        [str(python), "-c", LM_EVAL, url, MODEL, str(concurrency), str(max_new), handle.name],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), [str(r).strip() for r in result["replies"]]


def timed(run: Callable[[], list[str]]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    replies = run()
    return time.perf_counter() - start, replies


def main() -> None:
    args = parse_args()
    prompts = gate_prompts(args.prompts)
    n, c, m = len(prompts), args.concurrency, args.max_new_tokens
    print(f"[bench] {n} prompts, concurrency {c}, max_new_tokens {m}, repeats {args.repeats}")
    seconds: dict[str, list[float]] = {"plain": [], "ours": []}
    if args.lm_eval_python:
        seconds["lm_eval"] = []
    replies: dict[str, list[str]] = {}
    with (
        tempfile.TemporaryDirectory() as work,
        LlamaServer({MODEL: embedded_model_path()}, Path(work)) as server,
    ):
        request = ModelRequest(f"{server.url}?model={MODEL}", f"?model={MODEL}")
        pair = OpenAIBackend().resolve(request)
        side = pair.load(LoadOptions(concurrency=c)).tuned
        plain_client(server.url, prompts[:1], 1, m)  # warm-up
        for repeat in range(args.repeats):
            took, replies["plain"] = timed(lambda: plain_client(server.url, prompts, c, m))
            seconds["plain"].append(took)
            took, replies["ours"] = timed(lambda: side.generate(prompts, max_new_tokens=m))
            seconds["ours"].append(took)
            if args.lm_eval_python:
                took, replies["lm_eval"] = lm_eval_client(
                    args.lm_eval_python, server.url, prompts, c, m
                )
                seconds["lm_eval"].append(took)
            print(f"[bench] repeat {repeat + 1}: " + ", ".join(
                f"{name} {times[-1]:.1f}s" for name, times in seconds.items()
            ))  # fmt: skip
    rates = {name: n / statistics.median(times) for name, times in seconds.items()}
    figures: dict[str, Any] = {
        "command": " ".join(["python", *sys.argv]),
        "server": "llama-cpp-python " + _version("llama_cpp_python"),
        "model": f"{MODEL} (embedded GGUF, Q4_1)",
        "prompts": n, "concurrency": c, "max_new_tokens": m, "repeats": args.repeats,
        "seconds": seconds,
        "requests_per_s": {k: round(v, 3) for k, v in rates.items()},
        "ours_vs_plain": round(rates["ours"] / rates["plain"], 3),
        "same_replies_as_plain": {
            name: sum(a == b for a, b in zip(r, replies["plain"], strict=True))
            for name, r in replies.items() if name != "plain"
        },
        "targets": TARGETS,
    }  # fmt: skip
    if "lm_eval" in rates:
        figures["ours_vs_lm_eval"] = round(rates["ours"] / rates["lm_eval"], 3)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    main()
