"""Where the grammar, templates and knowledge files are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The folder `name` (grammar, templates): inside the installed package, where the
    wheel puts it, or at the top of a source checkout, where it is kept."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"ipt-plan is installed without its {name}/ folder")


KNOWLEDGE_DIR = PACKAGE_DIR / "knowledge"
