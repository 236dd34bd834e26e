"""Finding files under ``resources/`` (message templates, icons, demo data).

``resources/`` sits beside ``app/`` both in a checkout and in an installed copy (it is
shipped as package data), so one relative step finds it either way.
"""

from __future__ import annotations

from pathlib import Path


def resource_path(*parts: str) -> Path:
    """The path of a file under ``resources/``."""
    return Path(__file__).resolve().parent.parent.joinpath("resources", *parts)
