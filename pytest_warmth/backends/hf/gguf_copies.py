"""De-quantised copies of GGUF models, so that a GGUF model loads in seconds after its first run.

transformers de-quantises a GGUF file on every load (about 20 s for the embedded 135M model on
two CPU cores). The first load therefore also writes the de-quantised weights, with the config
and tokenizer, as an ordinary safetensors model directory; later runs load that directory. A
copy is named by the SHA-256 of the GGUF file, the dtype and the transformers version, never by
a path or a name, and appears only once it is complete (written aside, synced, then renamed).
Its manifest records every file's size and SHA-256; a copy that does not match it (truncated,
damaged, or written without one) is removed and rebuilt. The copies only save time: a full,
read-only or unreadable disk means no copy, said once, never a failed run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_warmth.backends.hf.hashing import file_digest

DIRECTORY_NAME = "gguf"
"""The copies' folder inside the answer cache directory."""
MAX_BYTES = 4 * 2**30
"""Models larger than this (de-quantised) are not copied: the disk cost would outweigh the
seconds saved."""
COMPLETE = "warmth-copy-complete"
"""The manifest (JSON: each file's size and SHA-256), written last; a folder without a valid
one is not trusted."""


@dataclass
class GgufCopies:
    """Where de-quantised copies live, and the hash memo that spares re-reading files.

    Attributes:
        directory: The folder holding one sub-folder per copy.
        memo: File-digest memo (see :func:`pytest_warmth.hashing.file_digest`).
        notes: What went wrong with the copies, each said once (see :meth:`take_notes`).
    """

    directory: Path
    memo: MutableMapping[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _said: set[str] = field(default_factory=set, repr=False)

    def location(self, gguf: Path, dtype: str) -> Path:
        """The folder of ``gguf``'s copy in ``dtype`` (which may not exist yet)."""
        import transformers

        key = "\0".join([file_digest(gguf, self.memo), dtype, transformers.__version__])
        return self.directory / hashlib.sha256(key.encode()).hexdigest()[:32]

    def find(self, gguf: Path, dtype: str) -> Path | None:
        """The complete, verified copy of ``gguf`` in ``dtype``, or ``None``.

        A copy that does not match its manifest is removed (and said), to be rebuilt.
        """
        try:
            where = self.location(gguf, dtype)
            if not where.exists():
                return None
            problem = _problem(where, self.memo)
        except OSError as exc:
            self._note(f"de-quantised copies in {self.directory} unusable ({exc}); not used")
            return None
        if problem is None:
            return where
        self.discard(where, problem)
        return None

    def discard(self, where: Path, why: str) -> None:
        """Remove the copy at ``where`` (moved aside first, so no reader sees half of it)."""
        aside = where.with_name(f".discarded-{where.name}-{os.getpid()}")
        try:
            os.replace(where, aside)
        except OSError:
            aside = where  # another run moved it, or it cannot be moved: remove in place
        shutil.rmtree(aside, ignore_errors=True)
        self._note(f"de-quantised copy {where} not reused ({why}); removed, to be rebuilt")

    def store(self, model: Any, tokenizer: Any, gguf: Path, dtype: str) -> Path | None:
        """Write a de-quantised copy of a GGUF-loaded ``model`` and its ``tokenizer``.

        transformers marks a GGUF-loaded model as quantised and will not save it, so the
        weights go into a plain model built from the same config.

        Returns:
            The copy's folder, or ``None`` when the model is too large or cannot be written
            (the copy is an optimisation; the run goes on either way, and a note says why).
        """
        size = sum(p.numel() * p.element_size() for p in model.parameters())
        if size > MAX_BYTES:
            return None
        try:
            target = self.location(gguf, dtype)
            self.directory.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=self.directory))
            try:
                _plain_copy(model).save_pretrained(staging, safe_serialization=True)
                tokenizer.save_pretrained(staging)
                _write_manifest(staging, gguf.name)
                return self._publish(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except Exception as exc:  # noqa: BLE001 - safetensors reports a full disk as a bare Exception
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self._note(f"de-quantised copy of {gguf.name} not written ({reason}); not kept")
            return None

    def _publish(self, staging: Path, target: Path) -> Path:
        """Rename the written copy into place, unless another run already put a sound one there."""
        if target.exists():
            if _problem(target, self.memo) is None:
                return target
            self.discard(target, "incomplete or damaged")
        try:
            os.replace(staging, target)
        except OSError:
            if _problem(target, self.memo) is not None:  # not another run's sound copy
                raise
        return target

    def take_notes(self) -> list[str]:
        """The notes not taken yet."""
        notes, self.notes = self.notes, []
        return notes

    def _note(self, text: str) -> None:
        if text not in self._said:
            self._said.add(text)
            self.notes.append(text)


def _write_manifest(folder: Path, source: str) -> None:
    """Sync every file of ``folder`` to disk and record its size and SHA-256, synced last."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
        name = path.relative_to(folder).as_posix()
        files[name] = {"size": path.stat().st_size, "sha256": file_digest(path)}
    with (folder / COMPLETE).open("w", encoding="utf-8") as handle:
        json.dump({"source": source, "files": files}, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())


def _problem(folder: Path, memo: MutableMapping[str, str]) -> str | None:
    """Why the copy in ``folder`` cannot be trusted, or ``None`` when it matches its manifest."""
    try:
        files = json.loads((folder / COMPLETE).read_text(encoding="utf-8"))["files"]
        expected = {str(name): (int(f["size"]), str(f["sha256"])) for name, f in files.items()}
    except FileNotFoundError:
        return "incomplete: no manifest"
    except (ValueError, KeyError, TypeError, AttributeError):
        return "its manifest is unreadable"
    if not expected:
        return "its manifest lists no files"
    for name, (size, sha256) in expected.items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if path.stat().st_size != size:
            return f"{name} has {path.stat().st_size} bytes, {size} were written"
        if file_digest(path, memo) != sha256:
            return f"{name} does not match its SHA-256"
    return None


def _plain_copy(model: Any) -> Any:
    """The same weights in a model that transformers will serialise (no quantisation config)."""
    import torch
    import transformers

    config = model.config.__class__.from_dict(
        {k: v for k, v in model.config.to_dict().items() if k != "quantization_config"}
    )
    plain = transformers.AutoModelForCausalLM.from_config(config, dtype=model.dtype)
    with torch.no_grad():
        plain.load_state_dict(model.state_dict())
    return plain
