"""Benchmark the pytest-warmth engine on the embedded SmolLM2-135M-Instruct model (CPU).

Measures pair load time, multiple-choice scoring and greedy generation throughput for the base
and tuned sides (tuned = base + a small random LoRA adapter, toggled), and the peak memory of
base + adapter against the base alone, each in a fresh child process. A standalone script, not
a test:

    python benchmarks/bench_engine.py [--items 40] [--batch-size 16] [--json OUT]

Timings are only meaningful on an otherwise idle machine: the script reports how much CPU other
processes used while it ran and warns when that was enough to distort the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from pytest_warmth.option_values import DEFAULT_MAX_NEW_TOKENS

# GGUF de-quantisation draws a raw tqdm bar that transformers' switch does not silence.
os.environ.setdefault("TQDM_DISABLE", "1")

T = TypeVar("T")

MODEL = "smollm2"
DEVICE = "cpu"
DTYPE = "float32"
MAX_NEW_TOKENS = DEFAULT_MAX_NEW_TOKENS
MEMORY_TARGET = 1.15
CHILD_ITEMS = 8
LORA_R = 8
LORA_ALPHA = 16
LORA_DROPOUT = 0.1
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]
LORA_SEED = 0
LORA_B_STD = 0.02
ADAPTER_DIRNAME = f"smollm2-lora-r{LORA_R}-a{LORA_ALPHA}-seed{LORA_SEED}"
BUSY_CORES = 0.25
"""Average CPU use by other processes (in cores) above which a timing is flagged."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=40, help="probes per measurement (40)")
    parser.add_argument("--batch-size", type=int, default=16, help="sequences per pass (16)")
    parser.add_argument(
        "--repeats", type=int, default=1, help="timed runs per side; the fastest counts (1)"
    )
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
    if min(args.items, args.batch_size, args.repeats) < 1:
        parser.error("--items, --batch-size and --repeats must be positive")
    return args


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Timing:
    """Wall time of one measured call and the CPU other processes used meanwhile."""

    seconds: float
    other_cores: float | None
    """Average CPU use of all other processes, in cores (``None`` without /proc/stat)."""


def _cpu_seconds() -> tuple[float, float] | None:
    """(CPU seconds the whole machine was busy, CPU seconds used by this process tree)."""
    try:
        fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()
    except (OSError, IndexError):
        return None
    ticks = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    own = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )
    return busy, own


def timed(fn: Callable[[], T]) -> tuple[T, Timing]:
    before = _cpu_seconds()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    after = _cpu_seconds()
    other = None
    if before is not None and after is not None and seconds > 0:
        other = max(0.0, (after[0] - before[0]) - (after[1] - before[1])) / seconds
    return result, Timing(seconds, other)


def probe_items(n: int) -> tuple[list[str], list[list[str]]]:
    """The first ``n`` built-in factual probes (cycled when ``n`` exceeds the suite)."""
    from pytest_warmth.suite_sources import builtin_suites

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

    from pytest_warmth.backends.hf.loading import load_model
    from pytest_warmth.backends.hf.spec import resolve_spec

    log(f"creating the benchmark LoRA adapter in {target}")
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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not find a config file" for the GGUF base
        peft_model.save_pretrained(str(staging))
    staged_config = staging / "adapter_config.json"
    config = json.loads(staged_config.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = MODEL
    staged_config.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    del peft_model, model
    gc.collect()
    return target


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
    # Import the heavy stack first, so that load_s excludes import cost.
    import peft  # noqa: F401
    import torch  # noqa: F401
    import transformers  # noqa: F401

    from pytest_warmth.backends.protocol import LoadOptions
    from pytest_warmth.backends.registry import load_pair

    prompts, choices = probe_items(CHILD_ITEMS)
    raw = MODEL if mode == "base" else str(args.workdir / ADAPTER_DIRNAME)
    options = LoadOptions(device=DEVICE, dtype=DTYPE, batch_size=args.batch_size)
    pair, load = timed(lambda: load_pair(raw, options=options))
    roles = ["base"] if mode == "base" else ["base", "tuned"]
    for role in roles:
        pair.side(role).score_choices(prompts, choices)
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    record = {
        "mode": mode,
        "maxrss_kib": maxrss_kib,
        "load_s": load.seconds,
        "load_other_cores": load.other_cores,
        "items": CHILD_ITEMS,
        "sides": roles,
    }
    print(json.dumps(record))


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
        "loadavg_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _best(runs: list[Timing], count: int, unit: str) -> dict[str, Any]:
    fastest = min(runs, key=lambda r: r.seconds)
    return {
        "seconds": fastest.seconds,
        unit: count / fastest.seconds,
        "other_cores": fastest.other_cores,
        "all_seconds": [r.seconds for r in runs],
    }


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    from pytest_warmth.backends.protocol import LoadOptions, pick
    from pytest_warmth.backends.registry import load_pair

    started = time.perf_counter()
    info = machine_info()
    adapter, prepare = timed(lambda: adapter_dir(args.workdir))
    memory: dict[str, dict[str, Any]] = {}
    for mode in ("base", "adapter"):
        log(f"peak-memory child: {mode}")
        memory[mode] = run_child(mode, args)

    log("loading smollm2 + LoRA adapter")
    options = LoadOptions(device=DEVICE, dtype=DTYPE, batch_size=args.batch_size)
    pair, load = timed(lambda: load_pair(str(adapter), options=options))
    prompts, choices = probe_items(args.items)
    score_runs: dict[str, list[Timing]] = {role: [] for role, _ in pair.sides()}
    gen_runs: dict[str, list[Timing]] = {role: [] for role, _ in pair.sides()}
    sums: dict[str, list[float]] = {}
    picks: dict[str, list[int]] = {}
    replies: dict[str, list[str]] = {}
    for repeat in range(args.repeats):
        for role, side in pair.sides():
            log(f"run {repeat + 1}/{args.repeats}: {role} scoring and generation")
            with side.hold():
                score = side.score_choices
                reply = side.generate
                if repeat == 0:  # untimed warm-up
                    score(prompts[:2], choices[:2])
                    reply(prompts[:2], max_new_tokens=4)
                scores, score_t = timed(partial(score, prompts, choices))
                answers, gen_t = timed(partial(reply, prompts, max_new_tokens=MAX_NEW_TOKENS))
            score_runs[role].append(score_t)
            gen_runs[role].append(gen_t)
            if repeat == 0:
                sums[role] = [s.sum_logprob for row in scores for s in row]
                picks[role] = [pick(row) for row in scores]
                replies[role] = answers

    base_kib = memory["base"]["maxrss_kib"]
    adapter_kib = memory["adapter"]["maxrss_kib"]
    ratio = adapter_kib / base_kib
    scoring = {role: _best(runs, len(prompts), "items_per_s") for role, runs in score_runs.items()}
    generation = {
        role: _best(runs, len(prompts), "answers_per_s") for role, runs in gen_runs.items()
    }
    contention = [
        load.other_cores,
        memory["base"]["load_other_cores"],
        *(entry["other_cores"] for entry in (*scoring.values(), *generation.values())),
    ]
    known = [c for c in contention if c is not None]
    return {
        "model": MODEL,
        "device": DEVICE,
        "dtype": DTYPE,
        "items": args.items,
        "choices_per_item": sorted({len(c) for c in choices}),
        "batch_size": args.batch_size,
        "max_new_tokens": MAX_NEW_TOKENS,
        "repeats": args.repeats,
        "machine": info,
        "adapter": {
            "path": str(adapter),
            "prepare_s": prepare.seconds,
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
            "pair_self_check": memory["base"]["load_s"],
            "pair_adapter": load.seconds,
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
        "contention": {
            "max_other_cores": max(known) if known else None,
            "threshold_cores": BUSY_CORES,
            "busy": bool(known) and max(known) > BUSY_CORES,
        },
        "total_s": time.perf_counter() - started,
    }


def render(result: dict[str, Any]) -> str:
    info, load = result["machine"], result["load_s"]
    sc, gen, mem = result["scoring"], result["generation"], result["memory"]
    eff, busy = result["adapter_effect"], result["contention"]
    rows = [
        ("pair load, smollm2 self-check (s)", f"{load['pair_self_check']:.2f}", ""),
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
        f"max_new_tokens={result['max_new_tokens']} repeats={result['repeats']}; "
        "tuned = base + LoRA adapter (toggled)",
        "",
        f"{'metric':<{width}}  {'base':>10}  {'tuned':>10}",
        *(f"{name:<{width}}  {b:>10}  {t:>10}" for name, b, t in rows),
        "",
        f"memory ratio (base + adapter) / base alone: {mem['ratio']:.3f} "
        f"(target <= {mem['target']}: {verdict})",
        f"adapter effect: max |delta logprob| {eff['max_abs_logprob_delta']:.3f}, "
        f"discordant picks {eff['discordant_picks']}/{result['items']}, "
        f"differing replies {eff['differing_replies']}/{result['items']}",
    ]
    if busy["max_other_cores"] is None:
        lines.append("other processes' CPU use: unknown (no /proc/stat)")
    else:
        lines.append(
            f"other processes' CPU use during timings: up to {busy['max_other_cores']:.2f} cores"
            + (
                f" -- WARNING: machine busy (> {busy['threshold_cores']}), timings unreliable"
                if busy["busy"]
                else " (quiet)"
            )
        )
    lines.append(f"total wall time: {result['total_s']:.1f} s")
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
