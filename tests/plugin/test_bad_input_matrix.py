"""The bad-input matrix: every case exits 4 with exactly one ``ERROR:`` line, no traceback.

Options (as flags and as ini values), model specs and output paths. The line names the input
and says how to fix it, and inputs that can be checked before loading are refused before any
model loads (no ``models loaded`` line). Probe files have their own matrix in
``test_probe_file_errors.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Ctx:
    """What a case builds its input from."""

    path: Path
    adapter: Path
    suite: Path


@dataclass(frozen=True)
class Case:
    """One bad input: the arguments (and ini lines) it makes, and what its line must say."""

    build: Callable[[Ctx], list[str]]
    says: tuple[str, ...]
    ini: str = ""
    loads: bool = False
    """True when the problem can only show while loading (a model must be read to see it)."""


def run_model(*extra: str) -> Callable[[Ctx], list[str]]:
    """The tiny zero adapter and suite, plus ``extra`` arguments."""
    return lambda ctx: [f"--warmth-model={ctx.adapter}", f"--warmth-probes={ctx.suite}", *extra]


def spec(make: Callable[[Ctx], Path], flag: str = "--warmth-model") -> Callable[[Ctx], list[str]]:
    """A model spec built in the test's folder."""

    def build(ctx: Ctx) -> list[str]:
        target = make(ctx)
        args = [f"{flag}={target}", f"--warmth-probes={ctx.suite}"]
        return args if flag == "--warmth-model" else [f"--warmth-model={ctx.adapter}", *args]

    return build


def folder(ctx: Ctx, name: str, files: dict[str, bytes | str]) -> Path:
    where = ctx.path / name
    where.mkdir()
    for file, content in files.items():
        (where / file).write_bytes(content.encode() if isinstance(content, str) else content)
    return where


def adapter_copy(ctx: Ctx, name: str, **changes: object) -> Path:
    """The zero adapter copied, with its config or weights changed."""
    where = ctx.path / name
    where.mkdir()
    for file in ctx.adapter.iterdir():
        (where / file.name).write_bytes(file.read_bytes())
    config = json.loads((where / "adapter_config.json").read_text())
    if "config" in changes:
        (where / "adapter_config.json").write_text(str(changes["config"]))
    elif changes:
        config.update(changes)
        (where / "adapter_config.json").write_text(json.dumps(config))
    return where


def truncated_adapter(ctx: Ctx) -> Path:
    where = adapter_copy(ctx, "cut")
    weights = where / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-64])
    return where


def broken_link(ctx: Ctx) -> Path:
    link = ctx.path / "link"
    link.symlink_to(ctx.path / "gone")
    return link


def a_file(ctx: Ctx, name: str = "plain.txt") -> Path:
    path = ctx.path / name
    path.write_text("x")
    return path


def recorded(ctx: Ctx) -> list[str]:
    """Replies recorded for one prompt only: the run's other prompts have none."""
    replies = ctx.path / "replies.jsonl"
    replies.write_text(json.dumps({"prompt": "What is 2 + 2?", "reply": "4"}) + "\n")
    return [
        f"--warmth-base={replies}", f"--warmth-model={replies}", f"--warmth-probes={ctx.suite}",
        "--warmth-scoring=generate",
    ]  # fmt: skip


OPTION = {
    "alpha-range": Case(run_model("--warmth-alpha=1.5"), ("--warmth-alpha", "(0, 1)")),
    "alpha-text": Case(run_model("--warmth-alpha=x"), ("--warmth-alpha", "a number")),
    "limit-zero": Case(run_model("--warmth-limit=0"), ("--warmth-limit", "positive integer")),
    "limit-text": Case(run_model("--warmth-limit=ten"), ("--warmth-limit", "positive integer")),
    "seed-text": Case(run_model("--warmth-seed=abc"), ("--warmth-seed",)),
    "tokens-zero": Case(run_model("--warmth-max-new-tokens=0"), ("--warmth-max-new-tokens",)),
    "min-effect": Case(run_model("--warmth-min-effect=0"), ("--warmth-min-effect", "(0, 1)")),
    "margin": Case(run_model("--warmth-margin=1.2"), ("--warmth-margin", "[0, 1)")),
    "batch-size": Case(run_model("--warmth-batch-size=0"), ("--warmth-batch-size",)),
    "concurrency": Case(run_model("--warmth-concurrency=0"), ("--warmth-concurrency",)),
    "timeout": Case(run_model("--warmth-request-timeout=-1"), ("--warmth-request-timeout",)),
    "max-examples": Case(run_model("--warmth-max-examples=0"), ("--warmth-max-examples",)),
    "kappa": Case(run_model("--warmth-judge-min-kappa=2"), ("--warmth-judge-min-kappa",)),
    "device": Case(run_model("--warmth-device=tpu"), ("--warmth-device", "choose")),
    "dtype": Case(run_model("--warmth-dtype=int8"), ("--warmth-dtype", "choose")),
    "scoring": Case(run_model("--warmth-scoring=judge"), ("--warmth-scoring", "choose")),
    "test": Case(run_model("--warmth-test=fisher"), ("--warmth-test", "choose")),
    "correction": Case(run_model("--warmth-correction=sidak"), ("--warmth-correction", "choose")),
    "interval": Case(run_model("--warmth-interval=wald"), ("--warmth-interval", "choose")),
    "unclear": Case(run_model("--warmth-unclear=maybe"), ("--warmth-unclear", "choose")),
    "unpaired": Case(run_model("--warmth-unpaired=often"), ("--warmth-unpaired", "choose")),
    "labels": Case(run_model("--warmth-recorded-labels=x"), ("--warmth-recorded-labels",)),
    "profile": Case(run_model("--warmth-profile=huge"), ("huge", "default")),
    "max-memory": Case(run_model("--warmth-max-memory=0=70"), ("--warmth-max-memory",)),
    "context": Case(run_model("--warmth-context=grumpy"), ("grumpy", "choose")),
    "belief": Case(run_model("--warmth-belief=maybe"), ("maybe", "choose")),
    "empty-model": Case(lambda ctx: ["--warmth-model="], ("--warmth-model", "empty value")),
    "empty-probes": Case(run_model("--warmth-probes="), ("--warmth-probes", "empty value")),
    "empty-base": Case(run_model("--warmth-base="), ("--warmth-base", "empty value")),
    "ini-alpha": Case(run_model(), ("warmth_alpha", "(0, 1)"), ini="warmth_alpha = 2"),
    "ini-limit": Case(run_model(), ("warmth_limit", "positive integer"), ini="warmth_limit = -1"),
    "ini-bool": Case(
        run_model(), ("warmth_strict", "tox.ini", "true or false"), ini="warmth_strict = maybe"
    ),
    "ini-device": Case(run_model(), ("warmth_device", "choose"), ini="warmth_device = tpu"),
    "ini-batch": Case(run_model(), ("warmth_batch_size",), ini="warmth_batch_size = many"),
}
MODEL = {
    "missing": Case(spec(lambda ctx: ctx.path / "nowhere"), ("--warmth-model", "no such file")),
    "empty-dir": Case(spec(lambda ctx: folder(ctx, "empty", {})), ("neither a model",)),
    "no-weights": Case(
        spec(lambda ctx: folder(ctx, "cfg", {"config.json": "{}"})), ("no weight files",)
    ),
    "not-gguf": Case(spec(lambda ctx: a_file(ctx, "fake.gguf"), "--warmth-base"), ("fake.gguf",)),
    "bare-weights": Case(spec(lambda ctx: a_file(ctx, "w.safetensors")), ("bare weight file",)),
    "adapter-list": Case(
        spec(lambda ctx: adapter_copy(ctx, "lst", config="[]")),
        ("adapter_config.json", "JSON object"),
    ),
    "adapter-invalid": Case(
        spec(lambda ctx: adapter_copy(ctx, "inv", config="{nope")),
        ("adapter_config.json", "cannot read"),
    ),
    "adapter-no-base": Case(
        spec(lambda ctx: adapter_copy(ctx, "nob", base_model_name_or_path="")),
        ("does not name its base model", "--warmth-base"),
    ),
    "adapter-gone-base": Case(
        spec(lambda ctx: adapter_copy(ctx, "gone", base_model_name_or_path="/no/base")),
        ("/no/base", "--warmth-base"),
    ),
    "truncated": Case(spec(truncated_adapter), ("adapter_model.safetensors", "cut short")),
    "pickle-only": Case(
        spec(lambda ctx: folder(ctx, "pk", {"config.json": "{}", "pytorch_model.bin": b"x"})),
        ("pickle", "--warmth-allow-pickle"),
    ),
    "broken-link": Case(spec(broken_link), ("link", "does not exist")),
    "base-is-adapter": Case(spec(lambda ctx: ctx.adapter, "--warmth-base"), ("full model",)),
    "recorded-unpaired": Case(recorded, ("have no recorded reply", "--warmth-export-prompts")),
}
OUTPUT = {
    "report-dir": Case(run_model("--warmth-report=."), ("--warmth-report", "directory")),
    "report-under-file": Case(
        lambda ctx: run_model(f"--warmth-report={a_file(ctx)}/r.json")(ctx),
        ("--warmth-report", "cannot write"),
    ),
    "html-dir": Case(run_model("--warmth-html=."), ("--warmth-html", "directory")),
    "markdown-dir": Case(run_model("--warmth-markdown=."), ("--warmth-markdown", "directory")),
    "cache-file": Case(
        lambda ctx: run_model(f"--warmth-cache={a_file(ctx)}")(ctx), ("--warmth-cache", "is a file")
    ),
    "save-failures-file": Case(
        lambda ctx: run_model("--warmth-hunt", f"--warmth-save-failures={a_file(ctx)}")(ctx),
        ("--warmth-save-failures", "is a file"),
    ),
    "baseline-missing": Case(
        run_model("--warmth-baseline-report=old.json"), ("--warmth-baseline-report", "no such file")
    ),
    "calibration-missing": Case(
        run_model("--warmth-judge-calibration=labels.jsonl"),
        ("--warmth-judge-calibration", "no such file"),
    ),
    "calibration-dir": Case(
        run_model("--warmth-judge-calibration=."), ("--warmth-judge-calibration", "a directory")
    ),
    "baseline-dir": Case(
        run_model("--warmth-baseline-report=."), ("--warmth-baseline-report", "a directory")
    ),
    "export-dir": Case(
        run_model("--warmth-export-prompts=."), ("--warmth-export-prompts", "directory")
    ),
}
CASES = {**OPTION, **MODEL, **OUTPUT}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(
    pytester: pytest.Pytester,
    zero_adapter: Path,
    tiny_suite: Path,
    name: str,
    record_property: Callable[[str, object], None],
) -> None:
    case = CASES[name]
    if case.ini:
        pytester.makeini(f"[pytest]\n{case.ini}\n")
    ctx = Ctx(pytester.path, zero_adapter, tiny_suite)
    args = case.build(ctx)
    result = pytester.runpytest("-p", "no:randomly", *args)
    output = result.stdout.str() + "\n" + result.stderr.str()
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output[-2000:]
    assert len(errors) == 1, errors
    record_property("error_line", errors[0])  # the line, for the JUnit XML
    for fragment in case.says:
        assert fragment in errors[0], errors[0]
    assert "Traceback" not in output
    assert "INTERNALERROR" not in output
    if not case.loads:
        assert "models loaded" not in output


def test_the_matrix_is_big_enough() -> None:
    assert len(CASES) >= 40
