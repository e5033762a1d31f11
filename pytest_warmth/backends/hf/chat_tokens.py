"""Token ids of chat prompts and replies for a model that runs elsewhere (e.g. behind a server).

A server scores token ids exactly when it is given them; this forms them from a local copy of
the served model's tokenizer the same way the in-process engine does, so a choice's tokens are
the same wherever it is scored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_warmth.backends.hf import engine
from pytest_warmth.backends.hf.loading import load_tokenizer
from pytest_warmth.backends.hf.spec import resolve_spec
from pytest_warmth.backends.protocol import Prompt


class ChatTokens:
    """A tokenizer's chat format as token ids.

    Args:
        tokenizer: A transformers tokenizer.
    """

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    @classmethod
    def load(cls, path: Path, *, flag: str, trust_remote_code: bool = False) -> ChatTokens:
        """The tokenizer of a local model or tokenizer directory, or of a ``.gguf`` file.

        Raises:
            WarmthError: The path holds no loadable tokenizer.
        """
        spec = resolve_spec(str(path), flag=flag, cwd=path.parent)
        return cls(load_tokenizer(spec, trust_remote_code=trust_remote_code))

    def prompt(self, message: Prompt) -> list[int]:
        """The ids of a prompt in the chat format, ending where the reply starts."""
        return engine.encode_prompt(self.tokenizer, self.render(message))

    def render(self, message: Prompt) -> str:
        """The text of a prompt in the chat format, ending where the reply starts."""
        return engine.render_prompt(self.tokenizer, message)

    def choice(self, text: str) -> list[int]:
        """The ids of ``text`` as the reply (raises ``ValueError`` when it has none)."""
        return engine.encode_choice(self.tokenizer, text)

    def choice_text(self, text: str) -> str:
        """``text`` as the reply that follows a rendered prompt (``ValueError``: no tokens)."""
        self.choice(text)
        return engine.continuation_text(self.tokenizer, text)

    def text(self, text: str) -> list[int]:
        """The ids of plain text, tokenised on its own."""
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
