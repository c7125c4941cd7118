"""The per-user cache: entries are reused, damaged ones rebuilt, and one that someone else
could write is never loaded (more in test_untrusted_inputs.py)."""

from __future__ import annotations

import os
import pickle

import pytest

from ipt_plan import cache


def test_entries_are_reused_and_damaged_ones_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(tmp_path))
    calls = []
    build = lambda: calls.append(1) or {"a": 1}  # noqa: E731
    assert cache.cached("t", ("x",), build, expect=dict) == {"a": 1}
    assert cache.cached("t", ("x",), build, expect=dict) == {"a": 1}
    assert len(calls) == 1
    (entry,) = (tmp_path / "ipt-plan").glob("t-*")
    entry.write_bytes(b"42")  # the wrong type: rebuilt, not returned
    assert cache.cached("t", ("x",), build, expect=dict) == {"a": 1} and len(calls) == 2
    entry.write_bytes(b"not JSON")
    assert cache.cached("t", ("x",), build, expect=dict) == {"a": 1} and len(calls) == 3


class Planted:
    def __reduce__(self):
        return (os.system, ("touch planted",))


@pytest.mark.parametrize("shared", ["folder", "file"])
def test_a_pickle_others_can_write_is_never_loaded(tmp_path, monkeypatch, shared):
    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    cache.cached("t", ("x",), lambda: {"a": 1}, expect=dict)
    folder = tmp_path / "ipt-plan"
    assert folder.stat().st_mode & 0o777 == 0o700
    (entry,) = folder.glob("t-*")
    entry.write_bytes(pickle.dumps(Planted()))
    (folder if shared == "folder" else entry).chmod(0o777 if shared == "folder" else 0o666)
    assert cache.cached("t", ("x",), lambda: {"a": 2}, expect=dict) == {"a": 2}
    assert not (tmp_path / "planted").exists()
