"""Bad input is normal input: every kind of broken file gets located diagnostics and an
exit code, never a traceback, and the other files of a batch are still checked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REFERENCE
from ipt_plan import load_bytes, load_file
from ipt_plan.source import MAX_BYTES


def codes(result):
    return [d.code for d in result.diagnostics]


def test_empty_file():
    result = load_bytes(b"", "empty.iptplan")
    assert [(d.code, d.line, d.column) for d in result.diagnostics] == [("IPT001", 1, 1)]
    assert "empty" in result.diagnostics[0].message


def test_whitespace_and_comments_only():
    result = load_bytes(b"  \n# only a comment\n\t\n", "c.iptplan")
    assert codes(result) == ["IPT001"] and "empty" in result.diagnostics[0].message


def test_binary_file():
    result = load_bytes(bytes(range(256)) * 4, "image.iptplan")
    assert codes(result) == ["IPT000"]
    assert "binary" in result.diagnostics[0].message
    assert result.diagnostics[0].line == 1


def test_not_utf8_is_located():
    data = 'plan "Zo\u00eb"\nclient A-1\nclinician "Dr \u00c9"\n'.encode("latin-1")
    result = load_bytes(data, "latin1.iptplan")
    (d,) = result.diagnostics
    assert (d.code, d.line, d.column) == ("IPT000", 1, 9)
    assert "UTF-8" in d.hint


def test_utf16_file():
    result = load_bytes('plan "x"\n'.encode("utf-16"), "u16.iptplan")
    assert codes(result) == ["IPT000"] and "UTF-16" in result.diagnostics[0].message


def test_crlf_bom_and_tabs_check_like_the_original(reference_text):
    variants = [
        reference_text.replace("\n", "\r\n").encode("utf-8"),
        b"\xef\xbb\xbf" + reference_text.encode("utf-8"),
        reference_text.replace("  ", "\t").encode("utf-8"),
        reference_text.replace("\n", "\r").encode("utf-8"),
    ]
    for data in variants:
        result = load_bytes(data, "v.iptplan")
        assert result.diagnostics == ()
        assert len(list(result.plan.sessions())) == 16


def test_tabs_keep_columns_right(reference_text):
    text = reference_text.replace("    communication_analysis for sister",
                                  "\t\tcomunication_analysis for sister")
    (d,) = load_bytes(text.encode(), "t.iptplan").diagnostics
    assert (d.code, d.line, d.column) == ("IPT002", 37, 3)


def test_non_ascii_names_and_text(reference_text):
    text = reference_text.replace("Ms. A: caregiving", "Zoë Ø: caregiving — 看护")
    result = load_bytes(text.encode(), "u.iptplan")
    assert result.diagnostics == () and result.plan.title.startswith("Zoë Ø")
    bad = reference_text.replace("focus retirement:", "focus retraite_é:")
    result = load_bytes(bad.encode(), "u2.iptplan")
    assert "IPT001" in codes(result)


def test_huge_file_is_refused_quickly():
    result = load_bytes(b"#" * (MAX_BYTES + 1), "big.iptplan")
    assert codes(result) == ["IPT000"] and "MB" in result.diagnostics[0].message


def test_ten_megabyte_file_from_disk(tmp_path):
    big = tmp_path / "big.iptplan"
    big.write_bytes(REFERENCE.read_bytes() * (10_000_000 // len(REFERENCE.read_bytes()) + 1))
    result = load_file(big)
    assert codes(result) == ["IPT000"]


def test_large_but_allowed_file_with_many_errors_is_linear_enough():
    # 20,000 broken lines still produce one diagnostic each, located on their own line.
    text = 'plan "x"\n' + "session\n" * 20_000
    result = load_bytes(text.encode(), "many.iptplan")
    syntax = [d for d in result.diagnostics if d.code == "IPT001"]
    assert len(syntax) == 20_000
    assert syntax[-1].line == 20_001


def test_unterminated_string_and_very_long_line():
    text = 'plan "never closed\n' + "note " + "x" * 1_000_000 + "\n"
    result = load_bytes(text.encode(), "long.iptplan")
    assert {d.line for d in result.diagnostics if d.code == "IPT001"} >= {1, 2}


@pytest.mark.parametrize("data", [
    b"plan", b'plan "x"\nfocus', b'plan "x"\nphase', b"\x7f\x1b[31m", b"\"\"\"\"",
    b'plan "x"\nsession 99999999999999999999999', b'plan "x"\nschedule weekly from 9999-99-99 at 99:99 for 0 min',
    b'plan "x"\nphase initial sessions 0-0\nphase middle session 0\n', b"focus a: grief\n" * 3,
    b'plan "x"\nskip 0000-01-01\n', b'plan "x"\nschedule monthly from 9999-12-31 at 10:00 for 50 min\nphase initial sessions 1-3\n',
])
def test_odd_inputs_give_diagnostics_not_exceptions(data):
    result = load_bytes(data, "odd.iptplan")
    assert result.diagnostics
    text_lines = max(1, data.count(b"\n") + 1)
    assert all(1 <= d.line <= text_lines for d in result.diagnostics)
    assert "IPT999" not in codes(result)  # bad input, never a crash of ipt-plan


def test_folder_named_like_a_plan(tmp_path):
    folder = tmp_path / "weird.iptplan"
    folder.mkdir()
    result = load_file(folder)
    assert codes(result) == ["IPT000"] and "folder" in result.diagnostics[0].message


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path):
    locked = tmp_path / "locked.iptplan"
    locked.write_text('plan "x"\n')
    locked.chmod(0)
    assert "cannot be read" in load_file(locked).diagnostics[0].message


def test_cli_never_prints_a_traceback(tmp_path):
    (tmp_path / "binary.iptplan").write_bytes(os.urandom(4096) + b"\x00")
    (tmp_path / "empty.iptplan").write_bytes(b"")
    (tmp_path / "good.iptplan").write_bytes(REFERENCE.read_bytes())
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    proc = subprocess.run([sys.executable, "-m", "ipt_plan", "check", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "IPT999" not in proc.stdout
    assert "binary.iptplan:1:1: error[IPT000]" in proc.stdout
    assert "empty.iptplan:1:1: error[IPT001]" in proc.stdout
    assert "good.iptplan" not in proc.stdout  # checked, and clean
    assert "3 plans checked: 2 errors, 0 warnings" in proc.stdout
