from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
PLANS = ROOT / "plans"
SHARED_EXAMPLES = ROOT.parent / "shared" / "examples"
REFERENCE = PLANS / "caregiver-dispute.iptplan"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    # Each test session gets its own grammar cache, so tests never touch the user's.
    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    # Likewise the key calendar UIDs are made with (ipt_plan.calendar_key).
    monkeypatch.setenv("IPT_PLAN_CONFIG_DIR", str(tmp_path_factory.getbasetemp() / "config"))


@pytest.fixture
def reference_text() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def update_golden() -> bool:
    """Golden files are written only on request: `UPDATE_GOLDEN=1 make test`."""
    return os.environ.get("UPDATE_GOLDEN") == "1"


def golden_exists(path: Path) -> bool:
    """Whether to compare with the golden file (or folder) at `path`: False when it is
    to be written anew; a missing one fails the test instead of being written."""
    if update_golden():
        return False
    if not path.exists():
        pytest.fail(f"no golden file {path.relative_to(ROOT)}; write it with "
                    "UPDATE_GOLDEN=1 make test, and read it before committing")
    return True


# A text in brackets, in quotes: the blanks of a plan from `ipt-plan new` (wording.BLANKS),
# and a limited sick role's note, which it also writes in brackets.
BRACKETED = re.compile(r'"\([^"]*\)"')


def filled(text: str) -> str:
    """A plan from `ipt-plan new` with its blanks filled, as a clinician fills them."""
    return BRACKETED.sub('"Written by the clinician"', text)
