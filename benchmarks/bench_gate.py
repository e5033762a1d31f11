"""How fast is the gate? Against lm-evaluation-harness, the CPU's FLOP rate, and per profile.

On the embedded SmolLM2-135M-Instruct (CPU, float32) with a quickly trained LoRA adapter:

1. the CPU's matmul rate, measured here (float32, shapes of SmolLM2's projections);
2. identical multiple-choice work (the default gate's multiple-choice prompts and choices, one
   side, same loaded weights, same batch size, the same untimed warm-up on the first two
   batches) through pytest-warmth's scorer and through
   lm-evaluation-harness's ``HFLM.loglikelihood``: requests per second, their ratio, the
   largest log-likelihood difference and the share of the FLOP rate our scorer reaches;
3. real ``pytest --warmth-model=ADAPTER`` runs: the default profile with an empty answer
   cache, and again after retraining the adapter (only the tuned side is new), as
   ``--rerun-repeats`` such pairs (runs of identical work vary by several per cent on a
   shared machine, so the median share is reported, with every pair's);
   the full profile on ``--full-limit`` items per suite (no cache; 0: every item), in each
   of ``--full-dtypes``, extrapolated to every item.

    python benchmarks/bench_gate.py [--json OUT] [--skip-lm-eval] [--skip-gate]
        [--rerun-repeats 3] [--full-limit 40] [--full-dtypes float32,bfloat16]
    tox -e speed

Needs ``lm-eval`` for step 2. Only meaningful on an otherwise idle machine (other processes'
CPU use is reported with each timing).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("TQDM_DISABLE", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "examples"))

from bench_engine import log, machine_info, timed  # noqa: E402

from pytest_warmth.backends.protocol import pick  # noqa: E402

HIDDEN, INTERMEDIATE = 576, 1536
TARGETS = {"vs_lm_eval": 3.0, "default_minutes": 10.0, "full_minutes": 40.0, "rerun_share": 0.5}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "warmth-speed"
    )
    parser.add_argument(
        "--prompts", type=int, default=480, help="scoring comparison: prompts (spread over cells)"
    )
    parser.add_argument(
        "--full-limit", type=int, default=40, help="items per suite, full profile (0: all)"
    )
    parser.add_argument(
        "--full-dtypes", default="float32,bfloat16", help="full profile runs, comma-separated"
    )
    parser.add_argument(
        "--rerun-repeats",
        type=int,
        default=3,
        help="default profile: (empty cache, retrained adapter) pairs; the median share counts",
    )
    parser.add_argument("--skip-lm-eval", action="store_true")
    parser.add_argument("--skip-gate", action="store_true")
    return parser.parse_args(argv)


def matmul_gflops(tokens: int = 2048, repeats: int = 20) -> float:
    """Best float32 matmul rate over SmolLM2's projection shapes, in GFLOP/s."""
    import torch

    best = 0.0
    with torch.inference_mode():
        for k, n in ((HIDDEN, INTERMEDIATE), (INTERMEDIATE, HIDDEN), (HIDDEN, HIDDEN)):
            a, b = torch.randn(tokens, k), torch.randn(k, n)
            torch.matmul(a, b)
            start = time.perf_counter()
            for _ in range(repeats):
                torch.matmul(a, b)
            seconds = (time.perf_counter() - start) / repeats
            best = max(best, 2 * tokens * k * n / seconds / 1e9)
    return best


def train_adapters(workdir: Path) -> list[Path]:
    """Two quickly trained warm adapters (16 conversations, 2 steps; seeds 0 and 1)."""
    import train_warm_adapter

    out = []
    for seed in (0, 1):
        target = workdir / f"adapter-seed{seed}"
        train_warm_adapter.main(
            ["--out", str(target), "--limit", "16", "--epochs", "1", "--seed", str(seed)]
        )
        out.append(target)
    return out


def default_mc_work(count: int) -> tuple[list[str], list[list[str]]]:
    """``count`` of the default gate's multiple-choice prompts (spread evenly over its mc
    cells), with their choices."""
    from pytest_warmth import gate
    from pytest_warmth.settings import WarmthSettings

    plan = gate.build_plan(WarmthSettings(model="smollm2"))
    prompts, choices = [], []
    for cell in plan.cells:
        if plan.scoring[cell.suite] != "mc":
            continue
        suite = plan.suites[cell.suite]
        prompts += gate.cell_messages(plan, cell)
        choices += [
            [suite.answer_template.format(choice=c) for c in p.choices] for p in suite.probes
        ]
    step = max(1, len(prompts) // count)
    return prompts[::step][:count], choices[::step][:count]


def computed_gflop(
    module: Any, tokenizer: Any, prompts: list[str], choices: list[list[str]]
) -> tuple[int, float]:
    """Tokens our scorer runs through the model, and their GFLOP (2 x the parameters used).

    The prefix all prompts share is encoded once; then each packed row's tokens (its prompts'
    common start once, each prompt's other tokens but the last, and per choice the prompt's
    last token and the choice's tokens but the last); the output projection runs only on the
    choices' tokens.
    """
    from pytest_warmth.backends.hf import engine, packing

    render = engine.render_prompt
    contexts = [engine.encode_prompt(tokenizer, render(tokenizer, p)) for p in prompts]
    continuations = [
        [tokenizer(c, add_special_tokens=False)["input_ids"] for c in options]
        for options in choices
    ]
    shared = packing.shared_length(contexts)
    rows = packing.pack_rows(contexts, shared, packing.PROMPTS_PER_ROW)
    tokens = shared + sum(packing.row_length(contexts, continuations, r, shared) for r in rows)
    choice_tokens = sum(len(c) for options in continuations for c in options)
    model = module.get_base_model() if hasattr(module, "get_base_model") else module
    head = model.get_output_embeddings().weight.numel()
    body = sum(p.numel() for n, p in model.named_parameters() if "lora_" not in n) - head
    return tokens, 2 * (tokens * body + choice_tokens * head) / 1e9


def load(adapter: Path, batch_size: int, dtype: str = "float32") -> Any:
    """The adapter pair on the CPU, through the registry (the transformers backend)."""
    from pytest_warmth.backends.protocol import LoadOptions
    from pytest_warmth.backends.registry import load_pair

    options = LoadOptions(device="cpu", dtype=dtype, batch_size=batch_size)
    return load_pair(str(adapter), options=options)


def timed_base_scoring(
    pair: Any, prompts: list[str], choices: list[list[str]], batch_size: int
) -> tuple[Any, Any]:
    """Our scores for the base side, timed after an untimed warm-up on the first two batches."""

    def score(count: int) -> Any:
        return pair.base.score_choices(prompts[:count], choices[:count])

    with pair.base.hold():
        score(2 * batch_size)
        return timed(lambda: score(len(prompts)))


def against_lm_eval(
    adapter: Path, count: int, batch_size: int, gflops: float, skip: bool
) -> dict[str, Any]:
    """The same requests through our scorer and through lm-eval's HFLM, base side."""
    from pytest_warmth.backends.hf import engine

    pair = load(adapter, batch_size)
    prompts, choices = default_mc_work(count)
    requests = sum(len(c) for c in choices)
    log(f"{len(prompts)} prompts, {requests} choice requests")
    ours, ours_time = timed_base_scoring(pair, prompts, choices, batch_size)
    tokens, gflop = computed_gflop(pair.base.module, pair.base.tokenizer, prompts, choices)
    result: dict[str, Any] = {
        "prompts": len(prompts),
        "requests": requests,
        "batch_size": batch_size,
        "ours_seconds": round(ours_time.seconds, 2),
        "ours_requests_per_s": round(requests / ours_time.seconds, 1),
        "ours_other_cores": ours_time.other_cores,
        "tokens_computed": tokens,
        "gflop_computed": round(gflop, 1),
        "flop_share": round(gflop / ours_time.seconds / gflops, 3),
    }
    log(f"ours: {result['ours_requests_per_s']} requests/s")
    if skip:
        return result
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    rendered = [engine.render_prompt(pair.base.tokenizer, p) for p in prompts]
    instances = [
        Instance("loglikelihood", {}, (context, choice), idx)
        for context, options in zip(rendered, choices, strict=True)
        for idx, choice in enumerate(options)
    ]
    with pair.base.active():  # the adapter disabled: the base model's weights
        lm = HFLM(
            pretrained=pair.base.module.get_base_model(),
            tokenizer=pair.base.tokenizer,
            batch_size=batch_size,
            device="cpu",
        )
        first = sum(len(options) for options in choices[: 2 * batch_size])  # the same warm-up
        lm.loglikelihood(instances[:first], disable_tqdm=True)
        theirs, their_time = timed(lambda: lm.loglikelihood(instances, disable_tqdm=True))
    flat = [s.sum_logprob for row in ours for s in row]
    picks_ours = [pick(row) for row in ours]
    their_rows, k = [], 0
    for options in choices:
        their_rows.append([theirs[k + j][0] for j in range(len(options))])
        k += len(options)
    picks_theirs = [row.index(max(row)) for row in their_rows]
    result.update(
        {
            "lm_eval_seconds": round(their_time.seconds, 2),
            "lm_eval_requests_per_s": round(requests / their_time.seconds, 1),
            "lm_eval_other_cores": their_time.other_cores,
            "speedup": round(their_time.seconds / ours_time.seconds, 2),
            "max_abs_logprob_diff": max(abs(a - b[0]) for a, b in zip(flat, theirs, strict=True)),
            "same_picks": sum(a == b for a, b in zip(picks_ours, picks_theirs, strict=True)),
        }
    )
    log(f"lm-eval: {result['lm_eval_requests_per_s']} requests/s; speedup {result['speedup']}x")
    result["bfloat16"] = bfloat16_agreement(adapter, prompts, choices, picks_ours, batch_size)
    return result


def bfloat16_agreement(
    adapter: Path, prompts: list[str], choices: list[list[str]], picks: list[int], batch_size: int
) -> dict[str, Any]:
    """The same requests in bfloat16: speed, and how often the pick is float32's."""
    pair = load(adapter, batch_size, dtype="bfloat16")
    scores, took = timed_base_scoring(pair, prompts, choices, batch_size)
    same = sum(pick(row) == p for row, p in zip(scores, picks, strict=True))
    row = {"seconds": round(took.seconds, 2), "same_picks_as_float32": same}
    log(f"bfloat16: {row}")
    return row


def gate_run(adapter: Path, cache: Path | None, *extra: str) -> dict[str, Any]:
    """One real ``pytest --warmth-model`` run in an empty directory; wall time and cache line."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        f"--warmth-model={adapter}",
    ]
    command += [f"--warmth-cache={cache}"] if cache is not None else ["--warmth-no-cache"]
    command += list(extra)
    with tempfile.TemporaryDirectory() as empty:
        (out, timing) = timed(
            lambda: subprocess.run(command, cwd=empty, capture_output=True, text=True, check=False)
        )
    text = out.stdout + out.stderr
    if out.returncode not in (0, 1):
        raise SystemExit(f"gate run failed ({out.returncode}):\n{text[-3000:]}")
    load = re.search(r"models loaded in ([\d.]+)s", text)
    reuse = re.search(r"(\d+) answers reused, (\d+) computed", text)
    outcome = re.search(r"=+ (\d+ \w+.*) in [\d.]+s", text)
    row = {
        "args": extra,
        "seconds": round(timing.seconds, 1),
        "other_cores": timing.other_cores,
        "load_seconds": float(load.group(1)) if load else None,
        "reused": int(reuse.group(1)) if reuse else None,
        "computed": int(reuse.group(2)) if reuse else None,
        "outcome": outcome.group(1) if outcome else None,
    }
    log(f"gate {' '.join(extra) or '(default profile)'}: {row}")
    return row


def gate_timings(
    adapters: list[Path],
    workdir: Path,
    full_limit: int,
    full_dtypes: Sequence[str],
    repeats: int = 1,
) -> dict[str, Any]:
    first, retrained = adapters
    runs: dict[str, Any] = {}
    shares = []
    for repeat in range(repeats):
        # Each pair starts from an empty cache (no answers, no de-quantised GGUF copy).
        cache = workdir / f"cache-{int(time.time())}-{repeat}"
        suffix = f"_{repeat + 1}" if repeat else ""
        empty = runs[f"default_empty_cache{suffix}"] = gate_run(first, cache)
        again = runs[f"default_adapter_retrained{suffix}"] = gate_run(retrained, cache)
        shares.append(round(again["seconds"] / empty["seconds"], 3))
    from pytest_warmth.suite_sources import builtin_suites

    items = sum(len(s) for s in builtin_suites().values())
    scale = items / (full_limit * len(builtin_suites())) if full_limit else 1.0
    limit = [f"--warmth-limit={full_limit}"] if full_limit else []
    for dtype in full_dtypes:
        name = "full_sample" if dtype == "float32" else f"full_sample_{dtype}"
        full = runs[name] = gate_run(
            first, None, "--warmth-profile=full", *limit, f"--warmth-dtype={dtype}"
        )
        load = full["load_seconds"] or 0.0
        runs[f"{name}_extrapolated_seconds"] = round(load + (full["seconds"] - load) * scale, 0)
    runs["rerun_shares"] = shares
    runs["rerun_share"] = sorted(shares)[len(shares) // 2]  # the median (odd counts)
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"machine": machine_info(), "targets": TARGETS}
    result["matmul_gflops"] = round(matmul_gflops(), 1)
    log(f"matmul rate: {result['matmul_gflops']} GFLOP/s")
    adapters = train_adapters(args.workdir)
    result["scoring"] = against_lm_eval(
        adapters[0], args.prompts, args.batch_size, result["matmul_gflops"], args.skip_lm_eval
    )
    if not args.skip_gate:
        dtypes = [d for d in args.full_dtypes.split(",") if d]
        result["gate"] = gate_timings(
            adapters, args.workdir, args.full_limit, dtypes, args.rerun_repeats
        )
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
