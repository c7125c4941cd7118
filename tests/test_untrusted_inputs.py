"""What ipt-plan must not trust: cache entries others could have written or swapped,
templates that would run without bound, and protocol paths that point outside the plan's
and the clinic's folders."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest

from ipt_plan import cache

OTHER_UID = 4242  # a user who is not the one running the tests


# --- the per-user cache -----------------------------------------------------------------

class Payload:
    """A pickle that, if ever loaded, leaves a marker file: proof that it ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def entry_name(tmp_path: Path, monkeypatch) -> str:
    """The file name the cache gives the entry ("t", ("x",)), learnt from a private cache."""
    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(tmp_path / "learn"))
    cache.cached("t", ("x",), lambda: {"a": 0}, expect=dict)
    (entry,) = (tmp_path / "learn" / "ipt-plan").iterdir()
    return entry.name


def well_formed_entry(tmp_path: Path, monkeypatch, value: dict) -> bytes:
    """An entry the cache itself would write for `value`: what a planter would copy."""
    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(tmp_path / "forge"))
    cache.cached("t", ("x",), lambda: value, expect=dict)
    (entry,) = (tmp_path / "forge" / "ipt-plan").iterdir()
    return entry.read_bytes()


def plant(folder: Path, name: str, payload: bytes) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    entry = folder / name
    entry.write_bytes(payload)
    entry.chmod(0o600)
    return entry


def symlinked_folder_in_shared_parent(tmp_path: Path, name: str, payload: bytes) -> Path:
    """XDG_CACHE_HOME is a folder anyone can write to (no sticky bit), where another user
    put `ipt-plan` as a link to a private-looking folder holding their entry."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    plant(tmp_path / "theirs", name, payload)
    (shared / "ipt-plan").symlink_to(tmp_path / "theirs")
    return shared


def writable_ancestor(tmp_path: Path, name: str, payload: bytes) -> Path:
    """The cache folder is private, but a folder above it can be written by anyone, so
    anyone can rename it away and put their own in its place."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    plant(shared / "home" / "ipt-plan", name, payload)
    return shared / "home"


def entry_of_another_user(tmp_path: Path, name: str, payload: bytes) -> Path:
    os.chown(plant(tmp_path / "c" / "ipt-plan", name, payload), OTHER_UID, -1)
    return tmp_path / "c"


def folder_of_another_user(tmp_path: Path, name: str, payload: bytes) -> Path:
    plant(tmp_path / "c" / "ipt-plan", name, payload)
    os.chown(tmp_path / "c" / "ipt-plan", OTHER_UID, -1)
    return tmp_path / "c"


def symlinked_folder_of_another_user(tmp_path: Path, name: str, payload: bytes) -> Path:
    """A private parent, but `ipt-plan` links to a folder another user owns."""
    plant(tmp_path / "theirs", name, payload)
    os.chown(tmp_path / "theirs", OTHER_UID, -1)
    (tmp_path / "c").mkdir(mode=0o700)
    (tmp_path / "c" / "ipt-plan").symlink_to(tmp_path / "theirs")
    return tmp_path / "c"


def symlinked_entry(tmp_path: Path, name: str, payload: bytes) -> Path:
    """The entry is a link; what it names can change between any check and the read."""
    target = plant(tmp_path / "elsewhere", "entry", payload)
    (tmp_path / "c" / "ipt-plan").mkdir(mode=0o700, parents=True)
    (tmp_path / "c" / "ipt-plan" / name).symlink_to(target)
    return tmp_path / "c"


ATTACKS = [symlinked_folder_in_shared_parent, writable_ancestor, entry_of_another_user,
           folder_of_another_user, symlinked_folder_of_another_user, symlinked_entry]


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.__name__)
def test_a_planted_pickle_never_runs(tmp_path, monkeypatch, attack):
    name = entry_name(tmp_path, monkeypatch)
    marker = tmp_path / "ran"
    base = attack(tmp_path, name, pickle.dumps(Payload(marker)))
    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(base))
    assert cache.cached("t", ("x",), lambda: {"a": 2}, expect=dict) == {"a": 2}
    assert not marker.exists()


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.__name__)
def test_an_entry_others_could_have_written_is_not_used(tmp_path, monkeypatch, attack):
    # Data that cannot run code could still change what a check says: rebuilt instead.
    forged = well_formed_entry(tmp_path, monkeypatch, {"a": "forged"})
    base = attack(tmp_path, entry_name(tmp_path, monkeypatch), forged)
    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(base))
    assert cache.cached("t", ("x",), lambda: {"a": 2}, expect=dict) == {"a": 2}


def test_no_pickle_is_loaded_even_from_a_private_cache(tmp_path, monkeypatch):
    # The entries are data in a format that cannot run code, whoever wrote them.
    name = entry_name(tmp_path, monkeypatch)
    marker = tmp_path / "ran"
    plant(tmp_path / "c" / "ipt-plan", name, pickle.dumps(Payload(marker)))
    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(tmp_path / "c"))
    assert cache.cached("t", ("x",), lambda: {"a": 2}, expect=dict) == {"a": 2}
    assert not marker.exists()


def test_a_private_cache_is_used_and_its_files_are_private(tmp_path, monkeypatch):
    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(tmp_path / "deep" / "c"))
    calls = []
    value = {"a": (1, "two"), "b": {3: [4.5, None, True]}, "#tuple": "a key like a tag"}
    build = lambda: calls.append(1) or value  # noqa: E731
    assert cache.cached("t", ("x",), build, expect=dict) == value
    assert cache.cached("t", ("x",), build, expect=dict) == value
    assert len(calls) == 1
    folder = tmp_path / "deep" / "c" / "ipt-plan"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert [p.stat().st_mode & 0o777 for p in folder.iterdir()] == [0o600]


def test_a_link_the_user_made_to_a_private_folder_still_caches(tmp_path, monkeypatch):
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "c").mkdir(mode=0o700)
    (tmp_path / "c" / "ipt-plan").symlink_to(tmp_path / "real")
    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(tmp_path / "c"))
    calls = []
    for _ in range(2):
        cache.cached("t", ("x",), lambda: calls.append(1) or {"a": 1}, expect=dict)
    assert len(calls) == 1 and len(list((tmp_path / "real").iterdir())) == 1


def test_the_grammar_read_back_from_the_cache_parses_alike(monkeypatch, tmp_path, reference_text):
    from ipt_plan import grammar

    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(tmp_path))
    built = grammar._build(grammar.grammar_text())
    grammar.parser.cache_clear()
    try:
        grammar.parser()  # builds and stores
        (entry,) = (tmp_path / "ipt-plan").glob("grammar-*")
        grammar.parser.cache_clear()
        loaded = grammar.parser()  # read back
        assert loaded is not built
        assert loaded.parse(reference_text, start="start") == built.parse(reference_text,
                                                                          start="start")
        json.loads(entry.read_bytes())  # plain data, not a pickle
    finally:
        grammar.parser.cache_clear()


def test_knowledge_read_back_from_the_cache_is_the_same(monkeypatch, tmp_path):
    import tomllib

    from ipt_plan import knowledge
    from ipt_plan.resources import KNOWLEDGE_DIR

    monkeypatch.setenv("IPT_PLAN_CACHE_DIR", str(tmp_path))
    path = KNOWLEDGE_DIR / "catalogue.toml"
    fresh = tomllib.loads(path.read_text(encoding="utf-8"))
    assert knowledge._read_toml(path) == fresh  # built and stored
    assert len(list((tmp_path / "ipt-plan").glob("toml-*"))) == 1
    monkeypatch.setattr(knowledge, "toml_loads", None)  # so it can only be read back
    assert knowledge._read_toml(path) == fresh


# --- protocol paths ---------------------------------------------------------------------

CLINIC_PROFILE = '''
name = "clinic-12"
title = "Our clinic's 12-session course"
source = "Clinic protocol 2026"
sessions = [12, 16]
'''


@pytest.fixture
def opened(monkeypatch):
    """The protocol files ipt-plan opened: a plan must not make it open one outside the
    plan's folder and the protocol folders, nor learn whether one exists."""
    from ipt_plan import knowledge

    paths: list[Path] = []
    real = knowledge.load_profile_file

    def load(path, *folders):  # folders: the protocol folders whose catalogue it is checked with
        if knowledge.BUILTIN_PROTOCOLS not in Path(path).parents:  # those listed in hints
            paths.append(Path(path))
        return real(path, *folders)

    monkeypatch.setattr(knowledge, "load_profile_file", load)
    return paths


def plan_naming(folder: Path, ref: str) -> Path:
    from conftest import REFERENCE

    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "plan.iptplan"
    plan.write_text(REFERENCE.read_text().replace("protocol ipt", f'protocol "{ref}"'))
    return plan


def protocol_problems(plan: Path, dirs=()) -> list[str]:
    from ipt_plan import load_file

    return [f"{d.code}: {d.message}" for d in load_file(plan, dirs).diagnostics
            if d.code in ("IPT002", "IPT004")]


OUTSIDE = {
    "absolute": lambda tmp: str(tmp / "elsewhere" / "{name}"),
    "dot-dot": lambda tmp: "../elsewhere/{name}",
    "dot-dot inside the path": lambda tmp: "sub/../../elsewhere/{name}",
}


@pytest.mark.parametrize("shape", OUTSIDE)
@pytest.mark.parametrize("content", ["valid", "not TOML", "missing"])
def test_a_protocol_path_outside_the_plans_folder_is_not_a_protocol(tmp_path, opened, shape,
                                                                    content):
    (tmp_path / "elsewhere").mkdir()
    if content != "missing":
        (tmp_path / "elsewhere" / "x.toml").write_text(
            CLINIC_PROFILE if content == "valid" else "secret = [unclosed")
    ref = OUTSIDE[shape](tmp_path).format(name="x.toml")
    (tmp_path / "plans" / "sub").mkdir(parents=True)
    plan = plan_naming(tmp_path / "plans", ref)
    # The same answer whether the file exists, is a profile or is not TOML at all.
    assert protocol_problems(plan) == [f"IPT002: '{ref}' is not a protocol ipt-plan knows"]
    assert opened == []


def test_a_link_out_of_the_plans_folder_is_not_followed(tmp_path, opened):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.toml").write_text(CLINIC_PROFILE)
    plan = plan_naming(tmp_path / "plans", "ours.toml")
    (tmp_path / "plans" / "ours.toml").symlink_to(tmp_path / "elsewhere" / "x.toml")
    assert protocol_problems(plan) == ["IPT002: 'ours.toml' is not a protocol ipt-plan knows"]
    assert opened == []


def test_the_hint_says_where_profile_files_are_looked_for(tmp_path):
    from ipt_plan import load_file

    plan = plan_naming(tmp_path / "plans", "/etc/passwd")
    (d,) = [d for d in load_file(plan).diagnostics if d.code == "IPT002"]
    assert d.hint.startswith(f"a profile file is read from the plan's folder "
                             f"({tmp_path / 'plans'}) or a protocol folder; the protocols are: ")
    assert "ipt-uk" in d.hint.split("the protocols are: ")[1].split(", ")


def test_a_profile_path_is_also_looked_up_in_the_protocol_folders(tmp_path, opened):
    (tmp_path / "profiles" / "v2").mkdir(parents=True)
    (tmp_path / "profiles" / "v2" / "clinic.toml").write_text(CLINIC_PROFILE)
    plan = plan_naming(tmp_path / "plans", "v2/clinic.toml")
    assert protocol_problems(plan, [tmp_path / "profiles"]) == []
    assert opened == [(tmp_path / "profiles" / "v2" / "clinic.toml").resolve()]
    # ...but never above one of them.
    plan = plan_naming(tmp_path / "plans", "../profiles/v2/clinic.toml")
    assert protocol_problems(plan, [tmp_path / "profiles" / "v2"]) == [
        "IPT002: '../profiles/v2/clinic.toml' is not a protocol ipt-plan knows"]


def test_a_profile_path_inside_the_plans_folder_still_works(tmp_path):
    (tmp_path / "plans" / "profiles").mkdir(parents=True)
    (tmp_path / "plans" / "profiles" / "clinic.toml").write_text(CLINIC_PROFILE)
    plan = plan_naming(tmp_path / "plans", "profiles/../profiles/clinic.toml")
    assert protocol_problems(plan) == []


# --- templates --------------------------------------------------------------------------

def render_with(tmp_path, text: str, name: str = "session.md.j2"):
    """Render the reference plan with a user's template; the problem it stops with."""
    from conftest import REFERENCE
    from ipt_plan import load_file, render
    from ipt_plan.renderer import TemplateProblem

    (tmp_path / "templates").mkdir(exist_ok=True)
    template = tmp_path / "templates" / name
    template.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateProblem) as caught:
        render(load_file(REFERENCE), "md", templates=tmp_path / "templates")
    assert caught.value.path == str(template)
    return caught.value


# Each would make far more than any agenda needs (sizes kept small enough that a render
# without bounds finishes too, so that the test fails rather than hangs without them).
TOO_BIG = {
    "text times a number": ("{{ 'x' * 10**8 }}", "would make a text or list of 100,000,000"),
    "list times a number": ("{{ ([1] * 10**8)|length }}",
                            "would make a text or list of 100,000,000"),
    "number times text": ("{{ 10**8 * 'ab' }}", "would make a text or list of 200,000,000"),
    "a power": ("{{ (7 ** 100000) % 10 }}", "would make a number of 84,510 digits"),
    "doubling in a loop": (
        "{% set ns = namespace(s='x' * 1000) %}{% for i in range(15) %}"
        "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
        "would make a text or list of 16,384,000"),
    "joining a text to itself in a loop": (
        "{% set ns = namespace(s='x' * 1000) %}{% for i in range(15) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
        "would make a text or list of 16,384,000"),
    "joining in a recursive macro": (
        "{% macro f(x, n) %}{% if n %}{{ f(x ~ x, n - 1) }}{% endif %}{% endmacro %}"
        "{{ f('x' * 1000, 15) }}", "would make a text or list of 16,384,000"),
    "a filter's replacement": ("{{ ('x' * 100000)|replace('x', 'y' * 1000) }}",
                               "replace would make a text or list of 100,000,000"),
    "a method's replacement": ("{{ ('x' * 100000).replace('x', 'y' * 1000) }}",
                               "replace would make a text or list of 100,000,000"),
    "an indent": ("{{ ('x\\n' * 100000)|indent(1000) }}",
                  "indent would make a text or list of 100,201,000"),
    "a width": ("{{ 'x'.ljust(10**8)|length }}", "asks for a width or count of 100,000,000"),
    "a filter's width": ("{{ 'x'|center(10**8)|length }}", "asks for a width or count of 100,000,000"),
    "a format's width": ("{{ '%0100000000d'|format(1)|length }}", "asks for a width or count of 100,000,000"),
    "a str.format width": ("{{ '{:>100000000}'.format(1)|length }}", "asks for a width or count of 100,000,000"),
}


@pytest.mark.parametrize("case", TOO_BIG)
def test_a_template_cannot_make_a_huge_value(tmp_path, case):
    text, message = TOO_BIG[case]
    problem = render_with(tmp_path, "Session {{ session.number }}\n" + text + "\n")
    assert problem.line == 2
    assert message in problem.message and "templates are limited to" in problem.message


def test_lists_cannot_grow_in_a_loop(tmp_path):
    problem = render_with(tmp_path, "{% set l = [] %}{% for i in range(20) %}"
                                    "{{ l.append('x' * 1000000) or '' }}{% endfor %}\n")
    assert "access to attribute 'append' of 'list' object is unsafe" in problem.message


def test_loops_inside_loops_are_stopped(tmp_path):
    problem = render_with(tmp_path, "{% for i in range(2000) %}{% for j in range(2000) %}"
                                    "{% endfor %}{% endfor %}\n")
    assert problem.message.startswith("the loops of this template went over 1,000,000 steps")


def test_a_document_cannot_grow_without_bound(tmp_path):
    problem = render_with(tmp_path, "{% for i in range(900) %}{{ 'x' * 100000 }}{% endfor %}\n")
    assert problem.message.startswith("the output passed 16,000,000 characters")


def test_a_plan_that_takes_too_long_is_stopped(tmp_path, monkeypatch):
    from ipt_plan import renderer

    monkeypatch.setattr(renderer, "TIME_LIMIT", 0.3)
    # Every step within the other bounds: only the time limit stops it.
    problem = render_with(tmp_path, "{% set s = 'x' * 1000000 %}\n"
                                    "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}\n")
    assert problem.line == 2
    assert problem.message.startswith("rendering one plan took longer than 0.3 s")


def test_ordinary_templates_are_unaffected(tmp_path):
    from conftest import REFERENCE
    from ipt_plan import load_file, render

    (tmp_path / "session.md.j2").write_text(
        "{{ '=' * 20 }} {{ [session.number] * 2 }} {{ 2 ** 10 }} {{ 'a' + 'b' }}"
        " {{ '%05d'|format(session.number) }} {{ '{:>4}'.format(session.number) }}"
        " {% for i in range(3) %}{{ i }}{% endfor %}\n", encoding="utf-8")
    text = render(load_file(REFERENCE), "md", templates=tmp_path)[6].text
    assert text == "==================== [6, 6] 1024 ab 00006    6 012\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_batch_reports_the_template_and_goes_on(tmp_path, monkeypatch, jobs):
    from typer.testing import CliRunner

    from conftest import PLANS, REFERENCE
    from ipt_plan import renderer
    from ipt_plan.cli import app

    monkeypatch.setattr(renderer, "TIME_LIMIT", 0.3)  # inherited by forked workers
    (tmp_path / "plans").mkdir()
    shutil.copy(REFERENCE, tmp_path / "plans" / "a.iptplan")
    shutil.copy(PLANS / "postpartum-new-mother.iptplan", tmp_path / "plans" / "b.iptplan")
    template = tmp_path / "templates" / "session.md.j2"
    template.parent.mkdir()
    template.write_text("{% set s = 'x' * 1000000 %}\n"
                        "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}\n")
    result = CliRunner().invoke(app, ["render", str(tmp_path / "plans"), "-o",
                                      str(tmp_path / "out"), "--templates",
                                      str(template.parent), "--jobs", jobs])
    assert result.exit_code == 1 and "Traceback" not in result.output
    for plan in ("a", "b"):
        assert (f"{tmp_path / 'plans' / plan}.iptplan: not rendered: {template}:2: template "
                "error: rendering one plan took longer than 0.3 s") in result.stdout


def test_rendering_leaves_no_timer_behind_and_works_off_the_main_thread():
    import signal
    import threading

    from conftest import REFERENCE
    from ipt_plan import load_file, render

    result = load_file(REFERENCE)
    assert len(render(result)) == 17
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    documents = []
    worker = threading.Thread(target=lambda: documents.extend(render(result)))
    worker.start()
    worker.join()
    assert len(documents) == 17
