"""Messages that say exactly what happened: the real size of a file too large, what was
cut from a phase too long, a calendar that ends, a hint that matches the line."""

from __future__ import annotations

from ipt_plan import load_string


def messages(text: str) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in load_string(text, "plan.iptplan").diagnostics]


def test_a_phase_too_long_to_hold_says_what_was_cut_and_nothing_else_counts_it():
    found = messages('plan "x"\nphase initial sessions 1-3\nphase middle sessions 4-13\n'
                     "phase termination sessions 14-1000000\n")
    assert ("IPT001", "sessions 14-1000000 is a phase of 999,987 sessions, more than a plan "
            "can hold (at most 20,000 a phase); only sessions 14-20013 are checked, and the "
            "course's length is not judged") in found
    # The clamped numbers are not the clinician's: no rule counts them.
    assert not [m for _, m in found if "20013" in m and not m.startswith("sessions 14-")]
    assert not {"IPT103", "IPT105", "IPT106"} & {code for code, _ in found}


def test_a_file_too_large_gives_its_real_size(tmp_path):
    from ipt_plan import load_bytes, load_file
    from ipt_plan.source import MAX_BYTES

    big = tmp_path / "big.iptplan"
    big.write_bytes(b"# x\n" * (10 * 1_048_576 // 4))
    (d,) = load_file(big).diagnostics
    assert d.message == "this file is 10.0 MB; a plan is at most 4 MB"
    (d,) = load_bytes(b"#" * (MAX_BYTES + 1)).diagnostics
    assert d.message == "this file is 4,194,305 bytes; a plan is at most 4,194,304 bytes (4 MB)"
