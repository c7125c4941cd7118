"""`render --layout nested`: each plan's folder one level deeper, under a shard folder
taken from a hash of its path, with the guarantees of the flat layout kept (outdir.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import batch, outdir
from ipt_plan.cli import app
from ipt_plan.outdir import KEPT_NAME, PLAN_MARK, SHARD_MARK, plan_folder, shard_name

runner = CliRunner()
ALL_SHARDS = [f"{n:02x}{SHARD_MARK}" for n in range(256)]


def write_plan(path: Path, title: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(REFERENCE.read_text(encoding="utf-8").replace(
        'plan "Ms. A: caregiving conflict with her sister"', f'plan "{title}"'),
        encoding="utf-8")
    return path


def render(*args: str):
    return runner.invoke(app, ["render", *args, "--jobs", "1"])


def titles(out: Path) -> dict[str, Path]:
    """Each plan's title, and its folder within `out`."""
    return {(p / "overview.md").read_text(encoding="utf-8").split("\n", 1)[0]:
            p.relative_to(out) for p in (q.parent for q in out.rglob("overview.md"))}


def test_the_nested_folder_is_the_flat_one_with_a_shard_above_the_plans_folder():
    flat = plan_folder(Path("clinic/smith/plan.iptplan"))
    nested = plan_folder(Path("clinic/smith/plan.iptplan"), layout="nested")
    assert nested == Path("clinic/smith/2d+/plan.iptplan")  # as outdir.py and --help say
    assert nested == flat.parent / shard_name(flat) / flat.name
    assert plan_folder(Path("clinic/smith/plan.iptplan"), layout="flat") == flat  # unchanged
    with pytest.raises(ValueError, match="no layout 'deep'"):
        plan_folder(Path("plan.iptplan"), layout="deep")


def test_a_plan_lands_in_the_same_nested_folder_every_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_plan(Path("clinic/smith/plan.iptplan"), "Smith")
    assert render("clinic/", "-o", "out", "--layout", "nested").exit_code == 0
    first = titles(Path("out"))
    write_plan(Path("clinic/jones/plan.iptplan"), "Jones")  # another plan joins the run
    again = render("clinic/", "-o", "out", "--layout", "nested")
    assert again.exit_code == 0
    assert titles(Path("out"))["# Smith"] == first["# Smith"] == Path(
        "clinic/smith/2d+/plan.iptplan")
    # Smith's, rendered into its own folder again.
    assert "(17 files: 0 written, 17 unchanged)" in again.stderr


def test_plans_named_alike_get_nested_folders_apart_even_without_case(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # Names apart only by case, by what is made of them, or named like a shard (the
    # flat layout's own cases are in test_paths_and_streams.py).
    names = ["clinic/Ms-A.iptplan", "clinic/ms-a.iptplan", "clinic/Ms A.iptplan",
             "outside/ms-a.iptplan", "clinic/2d/plan.iptplan", "clinic/2d+/plan.iptplan",
             "clinic/2D+/plan.iptplan", "clinic/smith/plan.iptplan", "clinic/smith.iptplan"]
    folders = [plan_folder(Path(name), layout="nested") for name in names]
    assert len({str(f).casefold() for f in folders}) == len(names)
    for folder in folders:
        assert not folder.is_absolute() and ".." not in folder.parts
        assert all(part and not part.startswith((".", "-")) for part in folder.parts)
    # A thousand plans in one folder: never two in one folder, spread over the shards.
    many = {plan_folder(Path(f"clinic/p{i}.iptplan"), layout="nested") for i in range(1000)}
    assert len(many) == 1000
    assert 200 < len({f.parent for f in many}) <= 256


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and "\0" not in s))
def test_no_kept_or_made_name_is_a_shard_name(name):
    """A folder of the clinic's own (`2d`, `2d+`) or a plan's is never taken for a shard:
    no name ipt-plan keeps or makes has SHARD_MARK."""
    assert SHARD_MARK not in outdir._folder_part(name, name)
    assert SHARD_MARK not in outdir._folder_part(name, name, keep=False)


def test_shard_names_are_none_of_the_names_a_plan_or_folder_can_have():
    assert len(set(ALL_SHARDS)) == 256
    for shard in ALL_SHARDS:
        assert not KEPT_NAME.fullmatch(shard)
        assert outdir._folder_part(shard, shard) != shard  # a clinic's `2d+` is renamed
        assert not shard.endswith(".iptplan") and shard != outdir.OUTSIDE


def test_a_clinic_folder_named_like_a_shard_never_meets_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shard = shard_name(Path("clinic/smith.iptplan"))  # where clinic/smith.iptplan's folder goes
    write_plan(Path("clinic/smith.iptplan"), "Smith")
    write_plan(Path("clinic", shard[:-1], "smith.iptplan"), "Bare")  # clinic/f6/
    write_plan(Path("clinic", shard, "smith.iptplan"), "Marked")  # clinic/f6+/
    assert render("clinic", "-o", "out", "--layout", "nested").exit_code == 0
    folders = titles(Path("out"))
    assert len(set(folders.values())) == 3
    assert folders["# Smith"] == Path("clinic", shard, "smith.iptplan")
    assert folders["# Bare"].parts[:2] == ("clinic", shard[:-1])
    assert folders["# Marked"].parts[1] != shard  # the clinic's own `f6+` gets a made name


def test_a_nested_then_a_flat_render_into_one_outdir_do_not_clash(tmp_path, monkeypatch):
    monkeypatch.chdir(PLANS.parent)
    out = tmp_path / "out"
    plans = ["plans/caregiver-dispute.iptplan", "plans/postpartum-new-mother.iptplan"]
    assert render(*plans, "-o", str(out), "--layout", "nested").exit_code == 0
    nested = sorted(p.parent for p in out.rglob("overview.md"))
    flat = render(*plans, "-o", str(out))
    assert flat.exit_code == 0, flat.output
    assert "0 unchanged" in flat.stdout  # new folders, nothing of the nested ones touched
    both = sorted(p.parent for p in out.rglob("overview.md"))
    assert len(both) == 4 and set(nested) < set(both)
    assert (out / "plans" / "caregiver-dispute.iptplan" / PLAN_MARK).is_file()
    for folder in nested:
        assert folder.parent.name.endswith(SHARD_MARK) and (folder / PLAN_MARK).is_file()
    # The log shows where each plan went, so a user finds the shard.
    assert f"-> {nested[0]}{os.sep} " in render(*plans, "-o", str(out), "--layout",
                                                 "nested").stderr


def test_shard_folders_are_private_and_inside_outdir(tmp_path, monkeypatch):
    here = tmp_path / "here"
    monkeypatch.chdir(tmp_path)
    write_plan(here / "plan.iptplan", "Here")
    write_plan(tmp_path / "other" / "plan.iptplan", "Other")
    monkeypatch.chdir(here)
    out = tmp_path / "out"
    assert render(".", str(tmp_path / "other"), "-o", str(out), "--layout",
                  "nested").exit_code == 0
    folders = titles(out)
    assert folders["# Other"].parts[0] == "outside"
    assert {p.name for p in tmp_path.iterdir()} == {"here", "other", "out"}
    for folder in folders.values():
        shard = out / folder.parent
        assert shard.name.endswith(SHARD_MARK)
        assert stat.S_IMODE(shard.stat().st_mode) == 0o700


def test_a_link_in_place_of_a_shard_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(PLANS.parent)
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = plan_folder(REFERENCE, layout="nested")
    (out / folder.parent.parent).mkdir(parents=True)
    (out / folder.parent).symlink_to(elsewhere, target_is_directory=True)
    result = render(str(REFERENCE), "-o", str(out), "--layout", "nested")
    assert result.exit_code == 1
    assert "symbolic link" in result.stdout
    assert list(elsewhere.iterdir()) == []


def test_an_unknown_layout_is_a_usage_error(tmp_path):
    result = render(str(REFERENCE), "-o", str(tmp_path / "out"), "--layout", "deep")
    assert result.exit_code == 2 and "Traceback" not in result.output
    with pytest.raises(batch.UsageError, match="no layout 'deep'; the layouts are flat, nested"):
        batch.run([REFERENCE], tmp_path / "out", layout="deep")


def test_render_help_explains_the_nested_layout():
    shown = " ".join(runner.invoke(app, ["render", "--help"]).stdout.split())
    assert "--layout" in shown and "OUTDIR/clinic/smith/2d+/plan.iptplan/" in shown
    assert "Switching layout renders into new folders" in shown
