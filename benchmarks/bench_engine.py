"""Benchmark the pytest-warmth engine on the embedded SmolLM2-135M-Instruct model (CPU).

Measures pair load time, multiple-choice scoring and greedy generation throughput for the base
and tuned sides, and the peak memory of base + toggled LoRA adapter against the base alone
(each in a fresh child process). This is a standalone script, not a test:

    python benchmarks/bench_engine.py [--items 40] [--batch-size 16] [--json OUT]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

# GGUF de-quantisation draws a raw tqdm bar that transformers' switch does not silence.
os.environ.setdefault("TQDM_DISABLE", "1")

MODEL = "smollm2"
DEVICE = "cpu"
DTYPE = "float32"
MAX_NEW_TOKENS = 32
MEMORY_TARGET = 1.15
CHILD_ITEMS = 8
LORA_R = 8
LORA_ALPHA = 16
LORA_DROPOUT = 0.1
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]
LORA_SEED = 0
LORA_B_STD = 0.02
ADAPTER_DIRNAME = f"smollm2-lora-r{LORA_R}-a{LORA_ALPHA}-seed{LORA_SEED}"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=40, help="probes per measurement")
    parser.add_argument("--batch-size", type=int, default=16, help="sequences per forward pass")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="write figures")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "pytest-warmth-bench",
        help="where the benchmark LoRA adapter is cached",
    )
    parser.add_argument(
        "--child-memory", choices=["base", "adapter"], default=None, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.items < 1 or args.batch_size < 1:
        parser.error("--items and --batch-size must be positive")
    return args


def probe_items(n: int) -> tuple[list[str], list[list[str]]]:
    """The first ``n`` built-in factual probes (cycled when ``n`` exceeds the suite)."""
    from pytest_warmth.suites import builtin_suites

    probes = builtin_suites()["factual"].probes
    chosen = [probes[k % len(probes)] for k in range(n)]
    return [p.question for p in chosen], [list(p.choices) for p in chosen]


def adapter_dir(workdir: Path) -> Path:
    """Create (once) and return a small random LoRA adapter for SmolLM2 under ``workdir``."""
    target = workdir / ADAPTER_DIRNAME
    config_path = target / "adapter_config.json"
    if config_path.is_file() and (target / "adapter_model.safetensors").is_file():
        config = json.loads(config_path.read_text(encoding="utf-8"))
        if config.get("base_model_name_or_path") == MODEL:
            return target

    import peft
    import torch

    from pytest_warmth.models.loading import load_model
    from pytest_warmth.models.spec import resolve_spec

    workdir.mkdir(parents=True, exist_ok=True)
    model = load_model(resolve_spec(MODEL), dtype=DTYPE)
    lora = peft.LoraConfig(
        r=LORA_R, lora_alpha=LORA_ALPHA, lora_dropout=LORA_DROPOUT, target_modules=LORA_TARGETS
    )
    peft_model = peft.get_peft_model(model, lora)
    generator = torch.Generator().manual_seed(LORA_SEED)
    with torch.no_grad():
        for name, param in sorted(peft_model.named_parameters()):
            if "lora_B" in name:
                torch.nn.init.normal_(param, std=LORA_B_STD, generator=generator)
    staging = Path(tempfile.mkdtemp(prefix=f"{ADAPTER_DIRNAME}.", dir=workdir))
    peft_model.save_pretrained(str(staging))
    staged_config = staging / "adapter_config.json"
    config = json.loads(staged_config.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = MODEL
    staged_config.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    if target.exists():
        for leftover in target.iterdir():
            leftover.unlink()
        target.rmdir()
    staging.rename(target)
    del peft_model, model
    gc.collect()
    return target


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run_child(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run this script in ``--child-memory MODE`` and return the JSON it prints."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child-memory",
        mode,
        "--workdir",
        str(args.workdir),
        "--batch-size",
        str(args.batch_size),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory child {mode!r} failed ({done.returncode}):\n{done.stderr}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"memory child {mode!r} printed no JSON:\n{done.stdout}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def child_memory(mode: str, args: argparse.Namespace) -> None:
    """Load base alone or base + adapter, score a few items, print peak RSS (KiB) as JSON."""
    # Import the heavy stack before timing, so load_s excludes import cost.
    import peft  # noqa: F401
    import torch  # noqa: F401
    import transformers  # noqa: F401

    from pytest_warmth.engine import score_choices
    from pytest_warmth.models.loading import load_pair
    from pytest_warmth.models.spec import resolve_pair

    prompts, choices = probe_items(CHILD_ITEMS)
    raw = MODEL if mode == "base" else str(args.workdir / ADAPTER_DIRNAME)
    pair, load_s = timed(lambda: load_pair(resolve_pair(raw, None), device=DEVICE, dtype=DTYPE))
    sides = [pair.base] if mode == "base" else [pair.base, pair.tuned]
    for side in sides:
        with side.activate():
            score_choices(
                side.module,
                pair.tokenizer,
                prompts,
                choices,
                batch_size=args.batch_size,
                device=pair.device,
            )
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "mode": mode,
                "maxrss_kib": maxrss_kib,
                "load_s": load_s,
                "items": CHILD_ITEMS,
                "sides": [s.role for s in sides],
            }
        )
    )


def machine_info() -> dict[str, Any]:
    import peft
    import torch
    import transformers

    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "transformers": transformers.__version__,
        "peft": peft.__version__,
    }


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    from pytest_warmth.engine import generate, pick, score_choices
    from pytest_warmth.models.loading import load_pair
    from pytest_warmth.models.spec import resolve_pair

    started = time.perf_counter()
    info = machine_info()
    adapter, adapter_s = timed(lambda: adapter_dir(args.workdir))
    memory = {mode: run_child(mode, args) for mode in ("base", "adapter")}

    pair_spec = resolve_pair(str(adapter), None)
    pair, load_s = timed(lambda: load_pair(pair_spec, device=DEVICE, dtype=DTYPE))
    prompts, choices = probe_items(args.items)
    bs, dev = args.batch_size, pair.device
    scoring: dict[str, dict[str, float]] = {}
    generation: dict[str, dict[str, float]] = {}
    picks: dict[str, list[int]] = {}
    sums: dict[str, list[float]] = {}
    replies: dict[str, list[str]] = {}
    for side in pair.sides():
        with side.activate():
            score = partial(score_choices, side.module, pair.tokenizer, batch_size=bs, device=dev)
            reply = partial(generate, side.module, pair.tokenizer, batch_size=bs, device=dev)
            score(prompts[:2], choices[:2])  # warm-up, untimed
            reply(prompts[:2], max_new_tokens=4)
            scores, score_s = timed(partial(score, prompts, choices))
            answers, gen_s = timed(partial(reply, prompts, max_new_tokens=MAX_NEW_TOKENS))
        scoring[side.role] = {"seconds": score_s, "items_per_s": len(prompts) / score_s}
        generation[side.role] = {"seconds": gen_s, "answers_per_s": len(prompts) / gen_s}
        picks[side.role] = [pick(row) for row in scores]
        sums[side.role] = [s.sum_logprob for row in scores for s in row]
        replies[side.role] = answers

    base_kib = memory["base"]["maxrss_kib"]
    adapter_kib = memory["adapter"]["maxrss_kib"]
    ratio = adapter_kib / base_kib
    return {
        "model": MODEL,
        "device": DEVICE,
        "dtype": DTYPE,
        "items": args.items,
        "choices_per_item": sorted({len(c) for c in choices}),
        "batch_size": bs,
        "max_new_tokens": MAX_NEW_TOKENS,
        "machine": info,
        "adapter": {
            "path": str(adapter),
            "prepare_s": adapter_s,
            "lora": {
                "r": LORA_R,
                "lora_alpha": LORA_ALPHA,
                "lora_dropout": LORA_DROPOUT,
                "target_modules": LORA_TARGETS,
            },
            "seed": LORA_SEED,
            "lora_B_std": LORA_B_STD,
        },
        "load_s": {
            "pair_adapter": load_s,
            "pair_self_check_child": memory["base"]["load_s"],
            "pair_adapter_child": memory["adapter"]["load_s"],
        },
        "scoring": scoring,
        "generation": generation,
        "adapter_effect": {
            "max_abs_logprob_delta": max(
                abs(b - t) for b, t in zip(sums["base"], sums["tuned"], strict=True)
            ),
            "discordant_picks": sum(
                b != t for b, t in zip(picks["base"], picks["tuned"], strict=True)
            ),
            "differing_replies": sum(
                b != t for b, t in zip(replies["base"], replies["tuned"], strict=True)
            ),
        },
        "memory": {
            "base_maxrss_mib": base_kib / 1024,
            "adapter_maxrss_mib": adapter_kib / 1024,
            "ratio": ratio,
            "target": MEMORY_TARGET,
            "met": ratio <= MEMORY_TARGET,
            "child_items": CHILD_ITEMS,
        },
        "total_s": time.perf_counter() - started,
    }


def render(result: dict[str, Any]) -> str:
    info = result["machine"]
    sc, gen, mem, eff = (
        result["scoring"],
        result["generation"],
        result["memory"],
        result["adapter_effect"],
    )
    load = result["load_s"]
    rows = [
        ("pair load, smollm2 self-check (s)", f"{load['pair_self_check_child']:.2f}", ""),
        ("pair load, smollm2 + LoRA adapter (s)", f"{load['pair_adapter']:.2f}", ""),
        (
            "MC scoring, 4 choices (items/s)",
            f"{sc['base']['items_per_s']:.2f}",
            f"{sc['tuned']['items_per_s']:.2f}",
        ),
        (
            f"greedy generation, {result['max_new_tokens']} tok (answers/s)",
            f"{gen['base']['answers_per_s']:.2f}",
            f"{gen['tuned']['answers_per_s']:.2f}",
        ),
        ("peak RSS (MiB)", f"{mem['base_maxrss_mib']:.1f}", f"{mem['adapter_maxrss_mib']:.1f}"),
    ]
    width = max(len(r[0]) for r in rows)
    verdict = "met" if mem["met"] else "NOT met"
    lines = [
        f"pytest-warmth engine benchmark: {result['model']} on {result['device']} "
        f"({result['dtype']})",
        f"{info['platform']}, {info['cpu_count']} CPUs, torch {info['torch']} "
        f"({info['torch_threads']} threads)",
        f"items={result['items']} batch_size={result['batch_size']} "
        f"max_new_tokens={result['max_new_tokens']}; tuned = base + LoRA adapter (toggled)",
        "",
        f"{'metric':<{width}}  {'base':>10}  {'tuned':>10}",
        *(f"{name:<{width}}  {b:>10}  {t:>10}" for name, b, t in rows),
        "",
        f"memory ratio (base + adapter) / base alone: {mem['ratio']:.3f} "
        f"(target <= {mem['target']}: {verdict})",
        f"adapter effect: max |delta logprob| {eff['max_abs_logprob_delta']:.3f}, "
        f"discordant picks {eff['discordant_picks']}/{result['items']}, "
        f"differing replies {eff['differing_replies']}/{result['items']}",
        f"total wall time: {result['total_s']:.1f} s",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_memory is not None:
        child_memory(args.child_memory, args)
        return 0
    result = benchmark(args)
    print(render(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
