"""Load a base/tuned model pair with transformers and PEFT (imports torch: load lazily).

A PEFT adapter is loaded once on its base and toggled: adapter enabled answers as the tuned
model, adapter disabled as the base, so a comparison costs the memory of one model. Two full
checkpoints load as two models. The same model on both sides is loaded once.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_warmth.backends.hf.gguf_copies import GgufCopies
from pytest_warmth.backends.hf.placement import (
    SHARD,
    Placement,
    describe_placement,
    input_device,
    plan_placement,
)
from pytest_warmth.backends.hf.spec import ModelSpec, PairSpec, SpecKind
from pytest_warmth.errors import MissingExtraError, ModelLoadError


@dataclass
class LoadedSide:
    """One side of a loaded comparison: a module and how to switch it into this side's mode.

    Attributes:
        role: ``"base"`` or ``"tuned"``.
        module: The torch module that computes this side's logits.
        activate: Returns a context manager under which ``module`` behaves as this side.
        spec: Where the weights came from.
    """

    role: str
    module: Any
    activate: Callable[[], contextlib.AbstractContextManager[Any]]
    spec: ModelSpec
    merged: Callable[[], contextlib.AbstractContextManager[Any]] | None = None
    """A LoRA side only: like ``activate``, but with the adapter folded into the base weights,
    which is faster for a long pass. Unfolding on exit leaves the base weights within
    rounding of the originals, so ask the base side before, not after."""


@dataclass
class LoadedPair:
    """A loaded comparison: one tokenizer shared by both sides, and the two sides."""

    tokenizer: Any
    base: LoadedSide
    tuned: LoadedSide
    device: str
    dtype: str
    shared: bool
    same_weights: bool = False
    """True when base and tuned are the very same model (a self-check)."""
    notes: tuple[str, ...] = ()
    """One line per thing worth telling about the load (e.g. a GGUF copy reused or written)."""

    def sides(self) -> Iterator[LoadedSide]:
        """Base first, then tuned."""
        yield self.base
        yield self.tuned


def _import_stack() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingExtraError(
            f"loading models needs torch and transformers ({exc.name} is missing): "
            'pip install "pytest-warmth[hf]" (pin torch to the build for your machine)'
        ) from None
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return torch, transformers


def resolve_device(name: str) -> str:
    """One device for a small model (a judge): ``auto`` and ``shard`` mean cuda if visible."""
    torch, _ = _import_stack()
    if name == SHARD:
        name = "auto"
    if name != "auto":
        return plan_placement(name, (), torch).device
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_pair(
    pair: PairSpec,
    *,
    device: str = "auto",
    dtype: str = "float32",
    max_memory: Sequence[tuple[str, str]] = (),
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    gguf_copies: GgufCopies | None = None,
) -> LoadedPair:
    """Load the tokenizer and both sides of ``pair``.

    With ``gguf_copies``, a GGUF model loads from its de-quantised copy when one exists, and
    the copy is written on its first load. With ``device="shard"`` (or ``auto`` and several
    GPUs) each model is split across the GPUs (see :mod:`.placement`); the notes say where
    each model sits.

    Raises:
        ModelLoadError: A model or tokenizer cannot be loaded, or base and tuned disagree on
            the vocabulary.
    """
    torch, _ = _import_stack()
    placement = plan_placement(device, max_memory, torch)
    for spec in (pair.base, pair.tuned):
        if spec.kind is not SpecKind.GGUF or spec.path is None:
            continue
        # A de-quantised copy exists only for a GGUF file that loaded: no need to read it again.
        if gguf_copies is None or gguf_copies.find(spec.path, dtype) is None:
            check_gguf_architecture(spec.path)
    options: dict[str, Any] = {
        "dtype": dtype,
        "trust_remote_code": trust_remote_code,
        "allow_pickle": allow_pickle,
        "placement": placement,
    }
    notes: list[str] = []
    tokenizer, base_module = _load_full(pair.base, options, gguf_copies, notes)
    if not placement.shard:
        base_module = base_module.to(placement.device)
    device = input_device(base_module, placement.device)
    if placement.shard:
        notes += describe_placement("base", base_module, device)
    if pair.tuned.kind is SpecKind.ADAPTER:
        adapter_tokenizer = _adapter_tokenizer(pair.tuned, trust_remote_code)
        if adapter_tokenizer is not None:
            check_same_vocabulary(tokenizer, adapter_tokenizer, pair.base, pair.tuned)
        peft_model = load_adapter(base_module, pair.tuned, allow_pickle=allow_pickle)
        peft_model.eval()
        base = LoadedSide("base", peft_model, peft_model.disable_adapter, pair.base)
        merged = functools.partial(_merged, peft_model) if _mergeable(peft_model) else None
        tuned = LoadedSide("tuned", peft_model, contextlib.nullcontext, pair.tuned, merged)
        return LoadedPair(tokenizer, base, tuned, device, dtype, shared=True, notes=tuple(notes))
    base = LoadedSide("base", base_module, contextlib.nullcontext, pair.base)
    if pair.shared:
        tuned = LoadedSide("tuned", base_module, contextlib.nullcontext, pair.tuned)
        return LoadedPair(
            tokenizer, base, tuned, device, dtype, shared=True, same_weights=True,
            notes=tuple(notes),
        )  # fmt: skip
    tuned_tokenizer, tuned_module = _load_full(pair.tuned, options, gguf_copies, notes)
    check_same_vocabulary(tokenizer, tuned_tokenizer, pair.base, pair.tuned)
    if placement.shard:
        notes += describe_placement("tuned", tuned_module, device)
    else:
        tuned_module = tuned_module.to(device)
    tuned = LoadedSide("tuned", tuned_module, contextlib.nullcontext, pair.tuned)
    return LoadedPair(tokenizer, base, tuned, device, dtype, shared=False, notes=tuple(notes))


def _load_full(
    spec: ModelSpec, options: dict[str, Any], copies: GgufCopies | None, notes: list[str]
) -> tuple[Any, Any]:
    """Tokenizer and model of a full checkpoint; a GGUF file through its de-quantised copy."""
    trust = options["trust_remote_code"]
    if spec.kind is not SpecKind.GGUF or spec.path is None or copies is None:
        return load_tokenizer(spec, trust_remote_code=trust), load_model(spec, **options)
    copy = copies.find(spec.path, options["dtype"])
    if copy is not None:
        plain = ModelSpec(spec.raw, SpecKind.DIRECTORY, path=copy)
        try:  # a copy that matches its manifest yet does not load is rebuilt, too
            loaded = load_tokenizer(plain, trust_remote_code=trust), load_model(plain, **options)
        except ModelLoadError as exc:
            copies.discard(copy, str(exc))
        else:
            notes.append(f"{spec.path.name}: de-quantised copy reused from {copy}")
            return loaded
    tokenizer = load_tokenizer(spec, trust_remote_code=trust)
    model = load_model(spec, **options)
    written = copies.store(model, tokenizer, spec.path, options["dtype"])
    notes += copies.take_notes()
    if written is not None:
        notes.append(f"{spec.path.name}: de-quantised copy written to {written}")
    return tokenizer, model


def _mergeable(peft_model: Any) -> bool:
    """True for LoRA adapters on plain (not quantised) weights, which merge exactly enough."""
    configs = getattr(peft_model, "peft_config", {})
    lora = bool(configs) and all(
        str(getattr(c, "peft_type", "")).endswith("LORA") for c in configs.values()
    )
    base = peft_model.get_base_model()
    quantised = getattr(base, "is_loaded_in_8bit", False) or getattr(
        base, "is_loaded_in_4bit", False
    )
    return lora and not quantised and hasattr(peft_model, "merge_adapter")


@contextlib.contextmanager
def _merged(peft_model: Any) -> Iterator[None]:
    """The adapter folded into the base weights for the duration, unfolded on exit."""
    peft_model.merge_adapter()
    try:
        yield
    finally:
        peft_model.unmerge_adapter()


def _source(spec: ModelSpec) -> tuple[str, dict[str, Any]]:
    """The first argument and extra keyword arguments for ``from_pretrained``."""
    if spec.kind is SpecKind.GGUF:
        assert spec.path is not None
        return str(spec.path.parent), {"gguf_file": spec.path.name}
    if spec.kind is SpecKind.HUB:
        return str(spec.hub_id), {}
    return str(spec.path), {"local_files_only": True}


def load_tokenizer(spec: ModelSpec, *, trust_remote_code: bool = False) -> Any:
    """Load a spec's tokenizer and give it a padding token.

    Raises:
        ModelLoadError: The tokenizer cannot be loaded.
    """
    _, transformers = _import_stack()
    where, extra = _source(spec)
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(
            where, trust_remote_code=trust_remote_code, **extra
        )
    except Exception as exc:  # noqa: BLE001 - transformers/peft raise many types; we report one line
        raise ModelLoadError(_load_message("tokenizer", spec, exc)) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def check_gguf_architecture(path: Path) -> str:
    """Read a GGUF file's architecture and check that transformers can load it.

    Raises:
        ModelLoadError: The file is not GGUF, or its architecture is not supported.
    """
    try:
        from gguf import GGUFReader
    except ImportError:
        raise MissingExtraError(
            "loading .gguf files needs the gguf package: pip install gguf"
        ) from None
    try:
        reader = GGUFReader(str(path))
        field = reader.fields["general.architecture"]
        architecture = bytes(field.parts[field.data[0]]).decode("utf-8")
    except Exception as exc:  # noqa: BLE001 - transformers/peft raise many types; we report one line
        raise ModelLoadError(f"{path} is not a readable GGUF file: {exc}") from None
    from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES

    supported = [a for a in GGUF_SUPPORTED_ARCHITECTURES if a not in ("general", "tokenizer")]
    if architecture not in supported:
        raise ModelLoadError(
            f"{path} is a GGUF model of architecture {architecture!r}, which transformers cannot "
            f"load (supported: {', '.join(supported)}); convert it to a safetensors model directory"
        )
    return architecture


def load_model(
    spec: ModelSpec,
    *,
    dtype: str = "float32",
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    placement: Placement | None = None,
) -> Any:
    """Load one full causal language model in evaluation mode.

    It loads on the CPU, or sharded across GPUs when ``placement`` says so.

    Raises:
        ModelLoadError: The weights cannot be loaded.
    """
    torch, transformers = _import_stack()
    if spec.kind is SpecKind.GGUF:
        assert spec.path is not None
        check_gguf_architecture(spec.path)
    where, extra = _source(spec)
    if not allow_pickle:
        extra["use_safetensors"] = True if spec.kind is not SpecKind.GGUF else None
    try:
        with _tqdm_disabled():
            model = transformers.AutoModelForCausalLM.from_pretrained(
                where,
                dtype="auto" if dtype == "auto" else getattr(torch, dtype),
                trust_remote_code=trust_remote_code,
                **extra,
                **(placement.load_kwargs() if placement is not None else {}),
            )
    except Exception as exc:  # noqa: BLE001 - transformers/peft raise many types; we report one line
        raise ModelLoadError(_load_message("model", spec, exc)) from None
    model.eval()
    return model


def load_adapter(base_module: Any, spec: ModelSpec, *, allow_pickle: bool = False) -> Any:
    """Attach a PEFT adapter to ``base_module`` (no copy of the base weights).

    Raises:
        ModelLoadError: The adapter does not fit the base model.
    """
    try:
        from peft import PeftModel
    except ImportError:
        raise MissingExtraError("loading adapters needs peft: pip install peft") from None
    try:
        return PeftModel.from_pretrained(
            base_module, str(spec.path), is_trainable=False, use_safetensors=not allow_pickle
        )
    except Exception as exc:  # noqa: BLE001 - transformers/peft raise many types; we report one line
        base = spec.base.raw if spec.base else "?"
        raise ModelLoadError(
            f"the adapter {spec.raw} does not fit its base model {base}: "
            f"{_first_line(exc)}; pass --warmth-base=SPEC with the model it was trained on"
        ) from None


def _adapter_tokenizer(spec: ModelSpec, trust_remote_code: bool) -> Any | None:
    assert spec.path is not None
    markers = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")
    if not any((spec.path / name).is_file() for name in markers):
        return None
    return load_tokenizer(
        ModelSpec(spec.raw, SpecKind.DIRECTORY, path=spec.path), trust_remote_code=trust_remote_code
    )


def check_same_vocabulary(base_tok: Any, tuned_tok: Any, base: ModelSpec, tuned: ModelSpec) -> None:
    """Raise unless both tokenizers map the same strings to the same ids.

    Raises:
        ModelLoadError: The vocabularies differ, so the models cannot be compared token by token.
    """
    base_vocab = base_tok.get_vocab()
    tuned_vocab = tuned_tok.get_vocab()
    if base_vocab == tuned_vocab:
        return
    differing = len(set(base_vocab.items()) ^ set(tuned_vocab.items()))
    raise ModelLoadError(
        f"base {base.raw} ({len(base_vocab)} tokens) and tuned {tuned.raw} ({len(tuned_vocab)} "
        f"tokens) use different vocabularies ({differing} entries differ); a warmth-tuned model "
        "must keep its base's tokenizer: pass the right --warmth-base"
    )


@contextlib.contextmanager
def _tqdm_disabled() -> Iterator[None]:
    """Silence the GGUF conversion bar, which transformers draws outside its own switch."""
    try:
        from transformers import modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:  # pragma: no cover - older transformers
        yield
        return
    original = gguf_utils.tqdm
    gguf_utils.tqdm = functools.partial(original, disable=True)
    try:
        yield
    finally:
        gguf_utils.tqdm = original


def _first_line(exc: BaseException) -> str:
    """The exception's first line (with the next one when the first ends in a colon)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    text = lines[0]
    if text.endswith(":") and len(lines) > 1:
        text = f"{text} {lines[1]}"
    return f"{type(exc).__name__}: {text}"


def _load_message(what: str, spec: ModelSpec, exc: BaseException) -> str:
    if "trust_remote_code" in str(exc) or "contains custom code" in str(exc):
        return (
            f"{spec.location} needs its own Python code to load its {what} (trust_remote_code), "
            "which stays off; pass --warmth-trust-remote-code only if you trust its source"
        )
    if spec.kind is SpecKind.HUB:
        return (
            f"cannot get the {what} of hub model {spec.hub_id} ({_first_line(exc)}); downloads "
            "need a network connection: download it where you are online or pass a local path"
        )
    return (
        f"cannot load the {what} from {spec.location}: {_first_line(exc)}; check that it is a "
        "complete transformers model (config.json, safetensors weights, tokenizer files)"
    )
