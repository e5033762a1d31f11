"""The in-process backend: transformers models, PEFT adapters and GGUF files, on CPU or GPU.

The only place that imports torch, transformers or peft (lazily, when models load):
resolving a spec (:mod:`.spec`) looks at files only, loading (:mod:`.loading`) builds the
modules, :mod:`.sides` answers through the batched engine (:mod:`.engine`, :mod:`.packing`),
:mod:`.gguf_copies` keeps de-quantised GGUF copies and :mod:`.hashing` names weights by
content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_warmth.backends.hf.spec import (
    ModelSpec,
    PairSpec,
    SpecKind,
    resolve_pair,
    resolve_spec,
    same_location,
)
from pytest_warmth.backends.protocol import (
    CHAT,
    GENERATE,
    MC,
    TEXT,
    LoadOptions,
    ModelPair,
    ModelRequest,
    Side,
)
from pytest_warmth.errors import ModelLoadError
from pytest_warmth.results import ModelInfo

if TYPE_CHECKING:
    from pytest_warmth.backends.hf.loading import LoadedSide
    from pytest_warmth.backends.hf.sides import HFSide, ModuleState

ENGINE_VERSION = 5
"""Bumped whenever the engine's numbers could change (5: output projection on gathered rows)."""
FOLDED = "lora-folded"
"""Part of a tuned side's identity when its LoRA adapter is folded into the weights (other
rounding than the adapter applied on the fly)."""
UNKNOWN = "unknown"


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose numerics end up in an answer."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("torch", "transformers", "peft"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def side_identity(weights: list[str], options: LoadOptions, device: str) -> str | None:
    """What determines one side's numbers: its weight files and every setting that moves them.

    ``None`` when a weight file is not local (its content is unknown).
    """
    if UNKNOWN in weights:
        return None
    parts = [ENGINE_VERSION, weights, library_versions(), options.dtype, device]
    parts.append(options.batch_size)
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return f"hf:{hashlib.sha256(text.encode()).hexdigest()}"


class HFResolvedPair:
    """Both specs located; content hashes computed on first use and memoised."""

    def __init__(self, spec: PairSpec, hash_memo: MutableMapping[str, str]) -> None:
        self.spec = spec
        self._memo = hash_memo
        self._digests: dict[str, str] = {}

    @property
    def same_model(self) -> bool:
        """The same model on both sides."""
        return self.spec.same_model

    @property
    def capabilities(self) -> frozenset[str]:
        """Multiple choice, generation and plain-text scoring; conversations too."""
        return frozenset({MC, GENERATE, TEXT, CHAT})

    def digest(self, role: str) -> str:
        """Content hash of one side's files (``unknown`` for a hub model not on disk)."""
        if role not in self._digests:
            from pytest_warmth.backends.hf.hashing import content_hash

            spec = self.spec.base if role == "base" else self.spec.tuned
            self._digests[role] = content_hash([spec.path], self._memo) if spec.path else UNKNOWN
        return self._digests[role]

    def describe(self) -> str:
        """``adapter X [hash] on base Y [hash]`` or ``tuned X [hash] vs base Y [hash]``."""
        tuned, base = self.spec.tuned, self.spec.base
        if tuned.kind is SpecKind.ADAPTER:
            what = f"adapter {tuned.raw} [{self.digest('tuned')[:12]}] on base {base.display}"
        else:
            what = f"tuned {tuned.display} [{self.digest('tuned')[:12]}] vs base {base.display}"
        if self.spec.same_model:
            what += " (same model both sides: a self-check)"
        return f"{what} [{self.digest('base')[:12]}]"

    def model_infos(self) -> tuple[ModelInfo, ModelInfo]:
        """Both sides' identities for reports."""
        base, tuned = self.spec.base, self.spec.tuned
        return (
            ModelInfo("base", base.raw, base.kind.value, base.location, self.digest("base")),
            ModelInfo("tuned", tuned.raw, tuned.kind.value, tuned.location, self.digest("tuned")),
        )

    def load(self, options: LoadOptions) -> ModelPair:
        """Load the pair (an adapter once, on its base) and wrap each side.

        Raises:
            ModelLoadError: A model or tokenizer cannot be loaded, or the vocabularies differ.
        """
        from pytest_warmth.backends.hf.gguf_copies import DIRECTORY_NAME, GgufCopies
        from pytest_warmth.backends.hf.loading import load_pair
        from pytest_warmth.backends.hf.sides import ModuleState

        copies = None
        if options.cache_dir is not None:
            copies = GgufCopies(options.cache_dir / DIRECTORY_NAME, self._memo)
        loaded = load_pair(
            self.spec,
            device=options.device,
            dtype=options.dtype,
            max_memory=options.max_memory,
            trust_remote_code=options.trust_remote_code,
            allow_pickle=options.allow_pickle,
            gguf_copies=copies,
        )
        state = ModuleState() if loaded.shared else None
        device = loaded.device
        base = _side(loaded.base, loaded.tokenizer, [self.digest("base")], options, device, state)
        if loaded.same_weights:
            return ModelPair(base, base, True, loaded.device, loaded.notes)
        weights = [self.digest("tuned")]
        if self.spec.tuned.kind is SpecKind.ADAPTER:
            weights = [self.digest("base"), *weights]
        tuned = _side(loaded.tuned, loaded.tokenizer, weights, options, device, state)
        return ModelPair(base, tuned, False, loaded.device, loaded.notes)


def _side(
    loaded: LoadedSide,
    tokenizer: Any,
    weights: list[str],
    options: LoadOptions,
    device: str,
    state: ModuleState | None,
) -> HFSide:
    """A loaded side as a protocol side; a LoRA side folded in when ``options`` asks for it."""
    from pytest_warmth.backends.hf.sides import HFSide

    enter = loaded.activate
    if options.fold_adapter and loaded.merged is not None:
        enter = loaded.merged
        weights = [*weights, FOLDED]
    return HFSide(
        loaded.module, tokenizer, spec=loaded.spec, device=device,
        batch_size=options.batch_size, identity=side_identity(weights, options, device),
        state=state, enter=enter,
    )  # fmt: skip


class HFResolvedModel:
    """One more model (a judge): reuses the pair's base when it names the same files."""

    def __init__(self, spec: ModelSpec, hash_memo: MutableMapping[str, str]) -> None:
        self.spec = spec
        self._memo = hash_memo

    def describe(self) -> str:
        """The spec's display name."""
        return self.spec.display

    def load(self, options: LoadOptions, beside: ModelPair) -> Side:
        """The pair's base side when it has these weights, else a model loaded for itself.

        Raises:
            ModelLoadError: The model cannot be loaded.
        """
        from pytest_warmth.backends.hf.sides import HFSide

        base = beside.base
        own = self.spec.kind is SpecKind.ADAPTER
        if not own and isinstance(base, HFSide) and same_location(self.spec, base.spec):
            return base
        return self._load_own(options, base)

    def _load_own(self, options: LoadOptions, beside: Side) -> Side:
        from pytest_warmth.backends.hf.hashing import content_hash
        from pytest_warmth.backends.hf.loading import (
            load_adapter,
            load_model,
            load_tokenizer,
            resolve_device,
        )
        from pytest_warmth.backends.hf.sides import HFSide

        spec = self.spec
        weights = spec.base or spec
        device = beside.device if isinstance(beside, HFSide) else resolve_device(options.device)
        try:
            tokenizer = load_tokenizer(weights, trust_remote_code=options.trust_remote_code)
            module = load_model(
                weights, dtype=options.dtype, trust_remote_code=options.trust_remote_code,
                allow_pickle=options.allow_pickle,
            )  # fmt: skip
            if spec.kind is SpecKind.ADAPTER:
                module = load_adapter(module, spec, allow_pickle=options.allow_pickle)
        except ModelLoadError as exc:
            raise ModelLoadError(f"--warmth-judge={spec.raw}: {exc}") from None
        digests = [
            content_hash([s.path], self._memo) if s.path else UNKNOWN
            for s in ((spec.base, spec) if spec.base else (spec,))
            if s is not None
        ]
        return HFSide(
            module.to(device).eval(), tokenizer, spec=spec, device=device,
            batch_size=options.batch_size, identity=side_identity(digests, options, device),
        )  # fmt: skip


class HFBackend:
    """transformers + PEFT + GGUF, in this process (registered as ``hf``)."""

    def claims(self, spec: str, cwd: Path) -> bool:
        """Every spec no other backend claims is tried here (the default backend)."""
        return True

    def resolve(self, request: ModelRequest) -> HFResolvedPair:
        """Resolve both specs on the file system (and the local hub cache).

        Raises:
            ModelSpecError: A spec is unusable, or the base cannot be determined.
        """
        pair = resolve_pair(
            request.model, request.base, cwd=request.cwd, allow_pickle=request.allow_pickle
        )
        return HFResolvedPair(pair, request.hash_memo)

    def resolve_model(self, spec: str, request: ModelRequest) -> HFResolvedModel:
        """Resolve a judge spec (an adapter with the base it names).

        Raises:
            ModelSpecError: The spec is unusable.
        """
        found = resolve_spec(
            spec, flag="--warmth-judge", cwd=request.cwd, allow_pickle=request.allow_pickle
        )
        if found.kind is SpecKind.ADAPTER:
            found = resolve_pair(
                spec, None, cwd=request.cwd, allow_pickle=request.allow_pickle
            ).tuned
        return HFResolvedModel(found, request.hash_memo)
