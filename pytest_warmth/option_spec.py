"""What one ``--warmth-*`` option is: its flag, help, kind, parser and default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pytest_warmth import option_values as values

Kind = Literal["value", "list", "flag"]


@dataclass(frozen=True)
class Option:
    """One ``--warmth-*`` option and its ini twin.

    Attributes:
        flag: The command-line flag, e.g. ``--warmth-model``.
        metavar: Upper-case placeholder shown in ``--help``.
        help: Help text without the trailing ``Default:`` part.
        kind: ``value`` (one value), ``list`` (repeatable) or ``flag`` (boolean switch).
        parse: Parser for one value (raises ``argparse.ArgumentTypeError``).
        default: The value used when neither the flag nor the ini key is set.
        default_text: How the default is described in ``--help``.
    """

    flag: str
    metavar: str
    help: str
    kind: Kind = "value"
    parse: Callable[[str], Any] = values.parse_text
    default: Any = None
    default_text: str = "none"

    @property
    def dest(self) -> str:
        """The argparse destination, also the ini key (``warmth_model``)."""
        return self.flag.lstrip("-").replace("-", "_")
