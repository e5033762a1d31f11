"""De-quantised copies of GGUF models, so that a GGUF model loads in seconds after its first run.

transformers de-quantises a GGUF file on every load (about 20 s for the embedded 135M model on
two CPU cores). The first load therefore also writes the de-quantised weights, with the config
and tokenizer, as an ordinary safetensors model directory; later runs load that directory. A
copy is named by the SHA-256 of the GGUF file, the dtype and the transformers version, never by
a path or a name, and appears only once it is complete (written aside, then renamed), so an
interrupted write leaves nothing that a later run could trust.
"""

from __future__ import annotations

import hashlib
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
"""Marker file written last; a directory without it is ignored."""


@dataclass
class GgufCopies:
    """Where de-quantised copies live, and the hash memo that spares re-reading GGUF files.

    Attributes:
        directory: The folder holding one sub-folder per copy.
        memo: File-digest memo (see :func:`pytest_warmth.hashing.file_digest`).
    """

    directory: Path
    memo: MutableMapping[str, str] = field(default_factory=dict)

    def location(self, gguf: Path, dtype: str) -> Path:
        """The folder of ``gguf``'s copy in ``dtype`` (which may not exist yet)."""
        import transformers

        key = "\0".join([file_digest(gguf, self.memo), dtype, transformers.__version__])
        return self.directory / hashlib.sha256(key.encode()).hexdigest()[:32]

    def find(self, gguf: Path, dtype: str) -> Path | None:
        """The complete copy of ``gguf`` in ``dtype``, or ``None``."""
        where = self.location(gguf, dtype)
        return where if (where / COMPLETE).is_file() else None

    def store(self, model: Any, tokenizer: Any, gguf: Path, dtype: str) -> Path | None:
        """Write a de-quantised copy of a GGUF-loaded ``model`` and its ``tokenizer``.

        transformers marks a GGUF-loaded model as quantised and will not save it, so the
        weights go into a plain model built from the same config.

        Returns:
            The copy's folder, or ``None`` when the model is too large or cannot be written
            (the copy is an optimisation; the run goes on either way).
        """
        size = sum(p.numel() * p.element_size() for p in model.parameters())
        if size > MAX_BYTES:
            return None
        target = self.location(gguf, dtype)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=self.directory))
            try:
                _plain_copy(model).save_pretrained(staging, safe_serialization=True)
                tokenizer.save_pretrained(staging)
                (staging / COMPLETE).write_text(f"{gguf.name}\n")
                if target.exists():
                    shutil.rmtree(target)  # an incomplete copy from an interrupted run
                os.replace(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except OSError:
            return None
        return target


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
