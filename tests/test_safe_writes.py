"""How ipt-plan writes files that hold health data: only regular files are replaced, never
through a link in a folder it manages, private from creation, keeping owner, group and
mode; runs at once never break each other, and what a killed run left is cleared."""

from __future__ import annotations

import fcntl
import os
import resource
import signal
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan import batch, files
from ipt_plan.outdir import plan_folder
from ipt_plan.cli import app
from ipt_plan.files import TEMP_SUFFIX

runner = CliRunner()
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
OTHER_UID, OTHER_GID = 4321, 4322  # no such user: a file of "someone else"


def invoke(*args):
    return runner.invoke(app, [*map(str, args)])


def export_json(out):
    return invoke("export", REFERENCE, "-f", "json", "-o", out)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def temps(folder: Path) -> list[Path]:
    return sorted(folder.rglob(f"*{TEMP_SUFFIX}"))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def held(path: Path) -> int:
    """An open, locked descriptor on `path`: what a live run holds on a file it writes."""
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


# --- item 2: only regular files, never through a link, private from the start -----------

def test_export_refuses_a_device_and_leaves_it_a_device(tmp_path):
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")
    result = export_json(device)
    assert result.exit_code == 2
    assert f"ipt-plan: cannot write {device}: it is a device, not a regular file" in result.stderr
    assert stat.S_ISCHR(device.lstat().st_mode)
    assert temps(tmp_path) == []


def test_export_refuses_a_fifo_and_a_socket(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = export_json(fifo)
    assert result.exit_code == 2 and "it is a named pipe (FIFO), not a regular file" in result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    sock_path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        result = export_json(sock_path)
    assert result.exit_code == 2 and "it is a socket, not a regular file" in result.stderr
    assert stat.S_ISSOCK(sock_path.lstat().st_mode)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = export_json(folder)
    assert result.exit_code == 2 and "it is a folder, not a regular file" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("out", ["-", "/dev/stdout"])
def test_export_to_dash_or_dev_stdout_is_standard_output(tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    result = export_json(out)
    assert result.exit_code == 0
    assert result.stdout.startswith("{") and '"sessions"' in result.stdout
    assert list(tmp_path.iterdir()) == []  # no file called "-"


@pytest.mark.parametrize("out", ["-", "/dev/stdout"])
def test_dash_and_dev_stdout_are_standard_output_as_a_shell_runs_them(tmp_path, out):
    """In a process of its own, into a pipe and into a file the shell opened (> FILE)."""
    cli = [sys.executable, "-m", "ipt_plan"]
    piped = subprocess.run([*cli, "export", REFERENCE, "-f", "json", "-o", out],
                           cwd=tmp_path, capture_output=True)
    assert piped.returncode == 0 and piped.stdout.startswith(b"{"), piped.stderr
    with open(tmp_path / "redirected.json", "wb") as redirect:
        redirected = subprocess.run([*cli, "export", REFERENCE, "-f", "json", "-o", out],
                                    cwd=tmp_path, stdout=redirect, stderr=subprocess.PIPE)
    assert redirected.returncode == 0, redirected.stderr
    assert (tmp_path / "redirected.json").read_bytes() == piped.stdout
    calendar = subprocess.run([*cli, "export", REFERENCE, "-f", "ics", "--tz", "Europe/London",
                               "-o", out], cwd=tmp_path, capture_output=True)
    assert calendar.returncode == 0 and calendar.stdout.startswith(b"BEGIN:VCALENDAR\r\n")
    skeleton = subprocess.run([*cli, "new", "--focus", "grief", "-o", out], cwd=tmp_path,
                              capture_output=True)
    assert skeleton.returncode == 0 and b'\nplan "' in b"\n" + skeleton.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["redirected.json"]  # no file "-"


def test_new_files_are_private_whatever_the_umask(tmp_path, umask_022):
    out = tmp_path / "plan.json"
    assert export_json(out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    agendas = tmp_path / "agendas"
    assert invoke("render", REFERENCE, "-o", agendas).exit_code == 0
    assert stat.S_IMODE(agendas.stat().st_mode) == 0o700
    folder = agendas / plan_folder(REFERENCE)
    assert folder.parent != agendas  # the folders between are private too
    assert stat.S_IMODE(folder.stat().st_mode) == stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    # A file added to a folder that already exists is private too.
    (folder / "session-16.md").unlink()
    assert invoke("render", REFERENCE, "-o", agendas).exit_code == 0
    assert stat.S_IMODE((folder / "session-16.md").stat().st_mode) == 0o600


def test_a_replaced_file_keeps_its_mode(tmp_path, umask_022):
    out = tmp_path / "plan.json"
    out.write_text("old")
    out.chmod(0o664)
    assert export_json(out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o664 and out.read_text() != "old"


@pytest.mark.parametrize("old_mode", [None, 0o600, 0o640])
def test_the_temporary_file_has_its_final_mode_from_creation(tmp_path, monkeypatch, old_mode):
    target = tmp_path / "session-01.md"
    if old_mode is not None:
        target.write_text("old")
        target.chmod(old_mode)
    final = old_mode or 0o600
    created = []
    real_open = os.open

    def watching_open(path, flags, mode=0o777, *, dir_fd=None):
        fd = real_open(path, flags, mode, dir_fd=dir_fd)
        if flags & os.O_CREAT:
            created.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return fd

    monkeypatch.setattr(files.os, "open", watching_open)
    old_umask = os.umask(0)  # the umask would hide a mode wider than the final one
    try:
        files.write_atomically(target, b"new")
    finally:
        os.umask(old_umask)
    assert created and all(mode & ~final == 0 for mode in created), (
        f"created with {[oct(m) for m in created]}, final {oct(final)}")
    assert stat.S_IMODE(target.stat().st_mode) == final


def test_render_never_writes_through_a_planted_link(tmp_path):
    out = tmp_path / "out"
    assert invoke("render", REFERENCE, "-o", out).exit_code == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("not an agenda")
    planted = (out / plan_folder(REFERENCE)) / "session-01.md"
    planted.unlink()
    planted.symlink_to(victim)
    result = invoke("render", REFERENCE, PLANS / "postpartum-new-mother.iptplan", "-o", out)
    assert result.exit_code == 1
    assert victim.read_text() == "not an agenda" and planted.is_symlink()
    assert (f"{REFERENCE}: not rendered: cannot write {planted}: it is a symbolic link"
            in result.stdout)
    assert (out / plan_folder(PLANS / "postpartum-new-mother.iptplan") / "overview.md").is_file()  # the batch went on
    assert temps(out) == [] and "Traceback" not in result.output


def test_render_refuses_a_symlinked_plan_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "session-17.md").write_text("someone's file, named like an agenda")
    (elsewhere / "notes.md").write_text("notes")
    before = tree(elsewhere)
    link = (out / plan_folder(REFERENCE))
    link.parent.mkdir(parents=True)
    link.symlink_to(elsewhere, target_is_directory=True)
    result = invoke("render", REFERENCE, PLANS / "postpartum-new-mother.iptplan", "-o", out)
    assert result.exit_code == 1
    assert tree(elsewhere) == before and link.is_symlink()
    assert f"{REFERENCE}: not rendered: cannot write {link}: it is a symbolic link" in result.stdout
    assert (out / plan_folder(PLANS / "postpartum-new-mother.iptplan") / "overview.md").is_file()
    assert temps(out) == [] and temps(elsewhere) == []


def test_render_refuses_a_symlinked_folder_between_outdir_and_a_plan_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    between = out / plan_folder(REFERENCE).parts[0]
    between.symlink_to(elsewhere, target_is_directory=True)
    result = invoke("render", REFERENCE, "-o", out)
    assert result.exit_code == 1
    assert f"cannot write {between}: it is a symbolic link" in result.stdout
    assert list(elsewhere.iterdir()) == []


def test_the_output_folder_named_by_the_user_may_be_a_link(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real, target_is_directory=True)
    assert invoke("render", REFERENCE, "-o", tmp_path / "out").exit_code == 0
    assert ((real / plan_folder(REFERENCE)) / "overview.md").is_file()


def test_a_stale_agenda_that_is_a_link_is_not_removed_through(tmp_path):
    out = tmp_path / "out"
    assert invoke("render", REFERENCE, "-o", out).exit_code == 0
    victim = tmp_path / "victim.md"
    victim.write_text("keep me")
    ((out / plan_folder(REFERENCE)) / "session-40.md").symlink_to(victim)
    invoke("render", REFERENCE, "-o", out)
    assert victim.read_text() == "keep me"


# --- item 8: owner, group, mode and hard links are kept ---------------------------------

@needs_root
def test_fmt_keeps_another_users_plan_theirs(tmp_path, reference_text):
    plan = tmp_path / "theirs.iptplan"
    plan.write_text(reference_text.replace("  client A-0142", "client   A-0142"), encoding="utf-8")
    os.chown(plan, OTHER_UID, OTHER_GID)
    plan.chmod(0o600)
    result = invoke("fmt", plan)
    assert result.exit_code == 0 and f"reformatted {plan}" in result.stderr
    info = plan.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (OTHER_UID, OTHER_GID, 0o600)
    assert plan.read_text(encoding="utf-8") == reference_text


@needs_root
def test_render_and_export_keep_owner_and_group_of_what_they_replace(tmp_path):
    out = tmp_path / "plan.json"
    out.write_text("old")
    os.chown(out, OTHER_UID, OTHER_GID)
    out.chmod(0o640)
    assert export_json(out).exit_code == 0
    info = out.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (OTHER_UID, OTHER_GID, 0o640)
    agendas = tmp_path / "agendas"
    assert invoke("render", REFERENCE, "-o", agendas).exit_code == 0
    session = (agendas / plan_folder(REFERENCE)) / "session-01.md"
    session.write_text("edited")
    os.chown(session, OTHER_UID, OTHER_GID)
    assert invoke("render", REFERENCE, "-o", agendas).exit_code == 0
    assert session.read_text() != "edited"
    assert (session.stat().st_uid, session.stat().st_gid) == (OTHER_UID, OTHER_GID)


def in_a_child_as(uid: int, gid: int, work) -> str:
    """Run `work()` in a forked process with another user's identity; what it returns or
    raises, as text."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            said = f"returned {work()!r}"
        except BaseException as err:  # noqa: BLE001 - reported to the parent
            said = f"{type(err).__name__}: {err}"
        os.write(write, said.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read().decode()
    os.waitpid(pid, 0)
    return said


@needs_root
def test_a_file_whose_owner_cannot_be_kept_is_refused():
    # A folder everyone may write, holding root's file that everyone may write: a rename
    # over it would give the file to whoever ran ipt-plan.
    shared = Path(tempfile.mkdtemp(prefix="ipt-plan-shared-"))
    try:
        shared.chmod(0o777)
        target = shared / "plan.json"
        target.write_text("old")
        target.chmod(0o666)
        said = in_a_child_as(OTHER_UID, OTHER_GID,
                             lambda: files.write_atomically(target, b"new"))
        assert said.startswith("RefusedWrite:") and "belongs to another user" in said, said
        assert target.read_text() == "old" and target.stat().st_uid == 0
        assert temps(shared) == []
    finally:
        shutil.rmtree(shared)


def test_fmt_refuses_a_hard_linked_plan_and_keeps_both_names_the_same(tmp_path, reference_text):
    plan = tmp_path / "plan.iptplan"
    plan.write_text(reference_text.replace("  client A-0142", "client   A-0142"), encoding="utf-8")
    other = tmp_path / "backup.txt"
    os.link(plan, other)
    before = plan.read_bytes()
    result = invoke("fmt", plan)
    assert result.exit_code == 2
    assert f"ipt-plan: cannot write {plan}: it has 2 hard links" in result.stderr
    assert plan.read_bytes() == other.read_bytes() == before
    assert os.path.samefile(plan, other) and temps(tmp_path) == []


def test_render_replaces_a_hard_linked_agenda_and_leaves_the_other_name_as_it_was(tmp_path):
    out = tmp_path / "out"
    assert invoke("render", REFERENCE, "-o", out).exit_code == 0
    session = (out / plan_folder(REFERENCE)) / "session-01.md"
    session.write_text("edited")
    backup = tmp_path / "backup-session-01.md"  # as `cp -al` backups make
    os.link(session, backup)
    assert invoke("render", REFERENCE, "-o", out).exit_code == 0
    assert backup.read_text() == "edited" and session.read_text() != "edited"


# --- item 7: runs at once ----------------------------------------------------------------

def test_two_renders_into_one_folder_at_once_both_succeed(tmp_path):
    corpus = tmp_path / "plans"
    corpus.mkdir()
    originals = sorted(PLANS.glob("*.iptplan"))
    for copy in range(6):
        for plan in originals:
            shutil.copy(plan, corpus / f"{plan.stem}-{copy}.iptplan")
    assert len(list(corpus.iterdir())) >= 48
    expected = tmp_path / "expected"
    assert batch.run([corpus], expected, jobs=1).exit_code == 0
    command = [sys.executable, "-m", "ipt_plan", "render", str(corpus), "--jobs", "1", "-o"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for attempt in range(4):
        out = tmp_path / f"out-{attempt}"
        if attempt % 2:  # the second of each pair renders into folders that exist
            shutil.copytree(expected, out)
            for overview in out.rglob("overview.md"):
                overview.write_text("stale")
        runs = [subprocess.Popen(command + [str(out)], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, env=env) for _ in range(2)]
        for run in runs:
            output = run.communicate(timeout=120)[0].decode()
            assert run.returncode == 0, output[-2000:]
        assert tree(out) == tree(expected)


# --- item 9: what killed runs leave -----------------------------------------------------

def test_a_dead_runs_temporary_folder_is_cleared_by_a_render_of_any_plan(tmp_path):
    out = tmp_path / "out"
    dead = out / f".grief-husband-death.0badcafe{TEMP_SUFFIX}"
    dead.mkdir(parents=True)
    (dead / "session-01.md").write_text("half an agenda")
    dead_file = out / f".notes.md.deadbeef{TEMP_SUFFIX}"
    dead_file.write_text("half")
    live = out / f".caregiver-dispute.12345678{TEMP_SUFFIX}"  # a run rendering it right now
    live.mkdir()
    (live / "session-01.md").write_text("being written")
    fd = held(live)
    try:
        assert batch.run([PLANS / "postpartum-new-mother.iptplan", REFERENCE], out,
                         jobs=1).exit_code == 0
        assert not dead.exists() and not dead_file.exists()
        assert (live / "session-01.md").read_text() == "being written"
    finally:
        os.close(fd)
    assert sorted(p.name for p in out.iterdir()) == sorted({
        live.name, plan_folder(REFERENCE).parts[0],
        plan_folder(PLANS / "postpartum-new-mother.iptplan").parts[0]})


def test_a_live_runs_temporary_file_in_a_plan_folder_is_kept(tmp_path):
    out = tmp_path / "out"
    assert batch.run([REFERENCE], out, jobs=1).exit_code == 0
    folder = (out / plan_folder(REFERENCE))
    dead = folder / f".session-03.md.deadbeef{TEMP_SUFFIX}"
    dead.write_text("half an agen")
    live = folder / f".session-04.md.12345678{TEMP_SUFFIX}"
    live.write_text("being writ")
    fd = held(live)
    try:
        assert batch.run([REFERENCE], out, jobs=1).exit_code == 0
        assert not dead.exists() and live.read_text() == "being writ"
    finally:
        os.close(fd)


def test_leftovers_are_cleared_once_per_folder_per_run(tmp_path, monkeypatch):
    out = tmp_path / "out"
    plans = [REFERENCE, PLANS / "postpartum-new-mother.iptplan", PLANS / "grief-husband-death.iptplan"]
    assert batch.run(plans, out, jobs=1).exit_code == 0
    cleared = []
    real = files.clear_leftovers

    def counting(folder, *args, **kwargs):
        cleared.append(os.path.realpath(folder))
        return real(folder, *args, **kwargs)

    monkeypatch.setattr(files, "clear_leftovers", counting)
    assert batch.run(plans, out, jobs=1).exit_code == 0
    assert sorted(cleared) == sorted(set(cleared))  # no folder twice
    assert os.path.realpath(out) in cleared


def test_fmt_and_export_clear_dead_leftovers_beside_what_they_write(tmp_path, reference_text):
    plan = tmp_path / "plan.iptplan"
    plan.write_text(reference_text.replace("  client A-0142", "client   A-0142"), encoding="utf-8")
    dead = tmp_path / f".plan.iptplan.deadbeef{TEMP_SUFFIX}"
    dead.write_text("half a plan")
    live = tmp_path / f".plan.iptplan.12345678{TEMP_SUFFIX}"
    live.write_text("a live fmt's")
    fd = held(live)
    try:
        assert invoke("fmt", plan).exit_code == 0
        assert not dead.exists() and live.exists()
        dead.write_text("half an export")
        assert export_json(tmp_path / "plan.json").exit_code == 0
        assert not dead.exists() and live.exists()
    finally:
        os.close(fd)


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "out"
    assert batch.run([REFERENCE], out, jobs=1).exit_code == 0
    ((out / plan_folder(REFERENCE)) / "session-02.md").write_text("edited")
    fresh = tmp_path / "fresh"

    def small_disk():  # writes past 200 bytes fail (EFBIG), as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    for target in (out, fresh):
        run = subprocess.run([sys.executable, "-m", "ipt_plan", "render", str(REFERENCE),
                              "--jobs", "1", "-o", str(target)], preexec_fn=small_disk,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 1, run.stdout + run.stderr
        assert "cannot write" in run.stdout and "File too large" in run.stdout
        assert "Traceback" not in run.stdout + run.stderr
    assert temps(tmp_path) == []
    assert not ((fresh / plan_folder(REFERENCE))).exists()
    assert ((out / plan_folder(REFERENCE)) / "session-02.md").read_text() == "edited"


# --- a folder others can write to (a shared /tmp) ---------------------------------------

@pytest.fixture
def open_place():
    """A folder another user can reach (pytest's own are private to root)."""
    import tempfile

    place = Path(tempfile.mkdtemp(prefix="ipt-plan-test-"))
    place.chmod(0o755)
    yield place
    shutil.rmtree(place, ignore_errors=True)


@needs_root
def test_a_link_another_user_planted_in_a_shared_folder_is_not_followed(open_place):
    shared = open_place / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = open_place / "index.html"
    victim.write_text("the victim's page")
    planted = shared / "ms-a.json"
    assert in_a_child_as(OTHER_UID, OTHER_GID, lambda: planted.symlink_to(victim)) == "returned None"
    result = export_json(planted)
    assert result.exit_code == 2
    assert "symbolic link another user" in result.output
    assert victim.read_text() == "the victim's page" and planted.is_symlink()


@needs_root
def test_a_file_another_user_planted_in_a_shared_folder_is_not_filled(open_place):
    shared = open_place / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    planted = shared / "ms-a.json"

    def plant():
        planted.write_text("")
        planted.chmod(0o666)

    assert in_a_child_as(OTHER_UID, OTHER_GID, plant) == "returned None"
    result = export_json(planted)
    assert result.exit_code == 2
    assert "another user" in result.output and planted.read_text() == ""


def test_ones_own_link_in_a_shared_folder_is_followed(open_place):
    shared = open_place / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    real = open_place / "mine.json"
    (shared / "link.json").symlink_to(real)
    assert export_json(shared / "link.json").exit_code == 0
    assert '"client": "A-0142"' in real.read_text()


def test_outdir_and_the_folders_above_it_that_render_makes_are_private(tmp_path, umask_022):
    out = tmp_path / "new" / "clinic" / "agendas"
    assert invoke("render", REFERENCE, "-o", out).exit_code == 0
    for folder in (tmp_path / "new", tmp_path / "new" / "clinic", out):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_leftovers_are_not_cleared_through_a_link_below_outdir(tmp_path):
    out = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    theirs = elsewhere / f".notes.md.deadbeef{TEMP_SUFFIX}"  # named like a leftover
    theirs.write_text("someone else's file")
    out.mkdir()
    (out / plan_folder(REFERENCE).parts[0]).symlink_to(elsewhere, target_is_directory=True)
    assert invoke("render", REFERENCE, "-o", out).exit_code == 1  # the link is refused
    assert theirs.read_text() == "someone else's file"


def test_a_refused_file_leaves_the_plans_other_agendas_as_they_were(tmp_path, reference_text):
    plan = tmp_path / "plan.iptplan"
    plan.write_text(reference_text, encoding="utf-8")
    out = tmp_path / "out"
    assert invoke("render", plan, "-o", out).exit_code == 0
    folder = out / plan_folder(plan)
    before = tree(folder)
    (folder / "session-16.md").unlink()
    (folder / "session-16.md").symlink_to(tmp_path / "victim.txt")
    plan.write_text(reference_text.replace("Ms. A:", "Ms. B:"), encoding="utf-8")  # all change
    assert invoke("render", plan, "-o", out).exit_code == 1
    after = tree(folder)
    assert {name: data for name, data in after.items() if name != "session-16.md"} == {
        name: data for name, data in before.items() if name != "session-16.md"}


@needs_root
def test_a_colleagues_plan_in_a_team_folder_is_formatted(open_place, reference_text):
    team = open_place / "team"
    team.mkdir()
    os.chown(team, OTHER_UID, OTHER_GID)
    team.chmod(0o2770)  # group-writable, setgid, not sticky: a folder of colleagues
    plan = team / "ms-a.iptplan"
    plan.write_text(reference_text.replace("  client A-0142", "client   A-0142"), encoding="utf-8")
    os.chown(plan, OTHER_UID + 1, OTHER_GID)
    assert invoke("fmt", plan).exit_code == 0
    assert plan.stat().st_uid == OTHER_UID + 1 and "  client A-0142" in plan.read_text()


def test_a_folder_removed_during_a_write_is_an_error_not_a_hang(tmp_path):
    import signal

    folder = tmp_path / "gone"
    folder.mkdir()
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    folder.rmdir()

    def stuck(signum, frame):
        raise TimeoutError("the write spun instead of failing")

    old = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(5)
    try:
        with pytest.raises(FileNotFoundError):
            files.replace_in(fd, "overview.md", b"x", "overview.md", keep_links=False)
        with pytest.raises(FileNotFoundError):
            files.write_new_folder(folder / "p.iptplan", [("a", b"x")], fd)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        os.close(fd)
