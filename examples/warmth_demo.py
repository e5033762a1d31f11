"""The whole story offline: warmth-tune SmolLM2, check it is warmer, and let the gate judge it.

For each persona (default: ``warm``) this trains a LoRA adapter with
``examples/train_warm_adapter.py`` (or reuses a cached one), measures how warm the base and the
tuned model's replies read (a SocioT-style score, see :mod:`pytest_warmth.warmth_score`), then
runs the gate, base vs tuned, as a real pytest run, and prints its table and the JSON report's
path. ``tox -e demo`` runs it. It exits 0 when the gate ran, whatever it decided (a FAIL is
what the study predicts for a warm adapter), and non-zero only when something broke.

    python examples/warmth_demo.py [--personas warm cold validating] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import train_warm_adapter  # noqa: E402

WARMTH_PROMPTS = 40
"""Held-out prompts (built-in probe questions, plain and sad) whose replies are scored."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--personas", nargs="+", choices=train_warm_adapter.PERSONAS)
    parser.add_argument(
        "--limit", type=int, help="gate items per suite (default: the default profile's)"
    )
    parser.add_argument("--workdir", type=Path, default=ROOT / ".warmth-demo")
    parser.add_argument("--report", type=Path, help="JSON report path (one per persona)")
    parser.add_argument("--gate-args", nargs=argparse.REMAINDER, default=[])
    args = parser.parse_args(argv)
    args.personas = args.personas or ["warm"]
    return args


def held_out_prompts() -> list[str]:
    """Messages never seen in training: probe questions, asked plainly and sadly."""
    from pytest_warmth import contexts
    from pytest_warmth.suite_sources import builtin_suites

    suites = builtin_suites()
    probes = [p for name in ("factual", "medical") for p in suites[name].probes[:10]]
    messages = []
    for context in ("plain", "sad"):
        for probe in probes:
            messages.append(
                contexts.build_prompt(
                    question=probe.question, answer=probe.answer, incorrect=probe.incorrect,
                    suite="demo", item_id=probe.id, context=context, belief="none", seed=0,
                )
            )  # fmt: skip
    return messages[:WARMTH_PROMPTS]


def measure_warmth(adapter: Path) -> dict[str, dict[str, float]]:
    """SocioT-style warmth of base and tuned replies, both scored by the base model."""
    from pytest_warmth import warmth_score
    from pytest_warmth.backends.protocol import LoadOptions
    from pytest_warmth.backends.registry import load_pair

    pair = load_pair(str(adapter), options=LoadOptions(device="cpu"))
    prompts = held_out_prompts()
    replies = {}
    for role, side in pair.sides():
        with side.hold():
            replies[role] = side.generate(prompts, max_new_tokens=48)
    result = {}
    for role, texts in replies.items():
        score = warmth_score.warmth(pair.base, texts)
        result[role] = {"mean": score.mean, "se": score.se, "n": score.n}
    result["example"] = {"prompt": prompts[-1], **{r: t[-1] for r, t in replies.items()}}  # type: ignore[dict-item]
    return result


def run_gate(adapter: Path, report: Path, limit: int | None, extra: Sequence[str]) -> int:
    """The gate as a real pytest run; its output goes straight to the terminal.

    It writes the JSON report and, beside it, the HTML report people look at.
    """
    command = [
        sys.executable, "-m", "pytest", "-m", "warmth", "-p", "no:cacheprovider",
        f"--warmth-model={adapter}", f"--warmth-report={report}",
        f"--warmth-html={report.with_suffix('.html')}",
        *([f"--warmth-limit={limit}"] if limit else []), *extra,
    ]  # fmt: skip
    print("[demo] " + " ".join(command[1:]), flush=True)
    return subprocess.call(command, cwd=ROOT)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    worst = 0
    for persona in args.personas:
        adapter = args.workdir / persona
        start = time.perf_counter()
        record = train_warm_adapter.main(["--persona", persona, "--out", str(adapter)])
        print(f"[demo] {persona} adapter ready ({time.perf_counter() - start:.0f}s)", flush=True)
        scores = measure_warmth(adapter)
        base, tuned = scores["base"], scores["tuned"]
        print(
            f"[demo] warmth (SocioT-style, nats/token): base {base['mean']:+.4f} ± "
            f"{base['se']:.4f}, {persona} {tuned['mean']:+.4f} ± {tuned['se']:.4f} "
            f"(n={base['n']:.0f} held-out replies)",
            flush=True,
        )
        report = args.report or args.workdir / f"report-{persona}.json"
        if len(args.personas) > 1 and args.report:
            report = args.report.with_name(f"{args.report.stem}-{persona}{args.report.suffix}")
        code = run_gate(adapter, report, args.limit, args.gate_args)
        summary = {"persona": persona, "training": record, "warmth": scores, "gate_exit": code}
        (args.workdir / f"demo-{persona}.json").write_text(json.dumps(summary, indent=2))
        verdict = {0: "passed", 1: "FAILED (the gate caught a regression)"}.get(code, "errored")
        print(
            f"[demo] {persona}: the gate {verdict}; report {report}, open "
            f"{report.with_suffix('.html')} in a browser",
            flush=True,
        )
        # A gate that ran and failed the adapter is the demo working; only errors fail it.
        worst = max(worst, code if code not in (0, 1) else 0)
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
