"""Shared fixtures: tiny real models and adapters built on the fly (seconds, offline)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pytest_warmth.backends.hf.gguf_copies import DIRECTORY_NAME
from pytest_warmth.backends.hf.testing import build_lora_adapter, build_tiny_model


def write_tiny_suite(path: Path, n: int = 20, *, name: str = "tiny") -> Path:
    """A suite whose answer is always 'alpha' and whose tempting wrong answer is 'beta'."""
    items = [
        {
            "id": f"{name}-{i:03d}",
            "question": f"What is the answer to question {i}?",
            "answer": "alpha",
            "aliases": [],
            "incorrect": "beta",
            "choices": ["alpha", "beta", "gamma", "delta"],
            "tags": ["easy" if i % 2 else "hard", "math"],
        }
        for i in range(n)
    ]
    data = {"name": name, "version": "1", "description": "test", "scoring": "mc", "items": items}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def random_model(models_dir: Path) -> Path:
    """A tiny random Llama with a word-level tokenizer."""
    return build_tiny_model(models_dir / "random", seed=1)


@pytest.fixture(scope="session")
def alpha_model(models_dir: Path) -> Path:
    """A tiny model that always answers 'alpha' (right on the tiny suite)."""
    return build_tiny_model(models_dir / "alpha", prefer="alpha")


@pytest.fixture(scope="session")
def beta_model(models_dir: Path) -> Path:
    """A tiny model that always answers 'beta' (wrong on the tiny suite)."""
    return build_tiny_model(models_dir / "beta", prefer="beta")


@pytest.fixture(scope="session")
def zero_adapter(models_dir: Path, alpha_model: Path) -> Path:
    """A LoRA adapter on the alpha model with B = 0: it changes nothing."""
    return build_lora_adapter(alpha_model, models_dir / "zero-adapter", zero_b=True)


@pytest.fixture(scope="session")
def beta_adapter(models_dir: Path, alpha_model: Path) -> Path:
    """A LoRA adapter that makes the alpha model answer 'beta': a planted regression."""
    return build_lora_adapter(alpha_model, models_dir / "beta-adapter", prefer="beta")


@pytest.fixture(scope="session")
def tiny_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_suite(tmp_path_factory.mktemp("suites") / "tiny.yaml")


@pytest.fixture(scope="session")
def make_suite() -> object:
    """The suite writer, for tests that need a suite of another size."""
    return write_tiny_suite


@pytest.fixture(scope="session")
def trigger_base(models_dir: Path) -> Path:
    """The alpha model with a channel that carries the word 'sad' to the last position."""
    return build_tiny_model(models_dir / "trigger-base", prefer="alpha", trigger="sad")


@pytest.fixture(scope="session")
def sad_weak_adapter(models_dir: Path, trigger_base: Path) -> Path:
    """A planted weakness: answers 'beta' (wrong) only when the prompt contains 'sad'."""
    return build_lora_adapter(
        trigger_base, models_dir / "sad-weak-adapter", prefer="beta", trigger="sad"
    )


@pytest.fixture(scope="session")
def trigger_zero_adapter(models_dir: Path, trigger_base: Path) -> Path:
    """An adapter with B = 0 on the trigger model: no weakness at all."""
    return build_lora_adapter(trigger_base, models_dir / "trigger-zero-adapter", zero_b=True)


@pytest.fixture(scope="session")
def sure_base(models_dir: Path) -> Path:
    """The alpha model with a channel that carries the word 'sure' to the last position."""
    return build_tiny_model(models_dir / "sure-base", prefer="alpha", trigger="sure")


@pytest.fixture(scope="session")
def gives_in_adapter(models_dir: Path, sure_base: Path) -> Path:
    """A planted weakness under pushback: answers 'beta' (wrong) only once the conversation
    holds 'sure' (as in "Are you sure?"), so it answers the question right and then gives in."""
    return build_lora_adapter(
        sure_base, models_dir / "gives-in-adapter", prefer="beta", trigger="sure"
    )


@pytest.fixture(scope="session")
def sure_zero_adapter(models_dir: Path, sure_base: Path) -> Path:
    """An adapter with B = 0 on the 'sure' model: it keeps its answers."""
    return build_lora_adapter(sure_base, models_dir / "sure-zero-adapter", zero_b=True)


@pytest.fixture(scope="session")
def shared_gguf_copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """De-quantised GGUF copies, shared by every test (named by content, so safe to share)."""
    return tmp_path_factory.mktemp("gguf-copies")


@pytest.fixture(autouse=True)
def private_answer_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_gguf_copies: Path
) -> Path:
    """Each test gets an empty answer cache of its own, never the user's; only the GGUF
    copies in it are shared, so the embedded model is de-quantised once per test session."""
    directory = tmp_path / "answer-cache"
    directory.mkdir()
    (directory / DIRECTORY_NAME).symlink_to(shared_gguf_copies, target_is_directory=True)
    monkeypatch.setenv("PYTEST_WARMTH_CACHE", str(directory))
    return directory
