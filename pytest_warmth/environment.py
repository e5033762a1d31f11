"""What a run ran on: the date and the versions of the libraries that shape its answers.

Versions come from installed package metadata, so nothing heavy is imported to read them.
"""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from importlib import metadata

PACKAGES = ("pytest-warmth", "pytest", "torch", "transformers", "peft", "llama-cpp-python",
            "hypothesis", "scipy")  # fmt: skip
"""Distributions whose versions a report records (those not installed are left out)."""


def describe() -> dict[str, object]:
    """The run's date (UTC, ISO 8601) and the versions of Python and of :data:`PACKAGES`."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
    }
