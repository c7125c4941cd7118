"""Messages that say exactly what happened: the real size of a file too large, what was
cut from a phase too long, a calendar that ends, a hint that matches the line."""

from __future__ import annotations

import pytest

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


# --- one mistake, one message; every mistake on the first run --------------------------

def with_fixes(text: str, diagnostics) -> str:
    """The text with every fix of these diagnostics made, last first (they do not overlap)."""
    lines = text.split("\n")
    fixes = sorted((f for d in diagnostics for f in d.fixes),
                   key=lambda f: (f.loc.line, f.loc.column), reverse=True)
    for f in fixes:
        line = lines[f.loc.line - 1]
        lines[f.loc.line - 1] = line[:f.loc.column - 1] + f.text + line[f.loc.end_column - 1:]
    return "\n".join(lines)


def test_the_fixes_of_a_line_s_mistakes_said_at_once_make_it_read():
    from conftest import REFERENCE

    text = REFERENCE.read_text(encoding="utf-8").replace(
        "at 10:00 for 50 min", "at 2.30pm for 50 minuts")
    said = load_string(text, "plan.iptplan").diagnostics
    assert [(d.code, d.column) for d in said] == [("IPT001", 38), ("IPT001", 52)]
    fixed = with_fixes(text, said)
    assert "at 14:30 for 50 min\n" in fixed
    assert load_string(fixed, "plan.iptplan").diagnostics == ()


def test_a_line_read_as_fixed_places_what_the_rules_say_on_the_line_as_written():
    """`goal Agree a rota` is read as the quoted goal; a focus line without its colon is
    read as meant, and a rule's finding on it points at the words as written."""
    text = ('plan "x"\nfocus sister role_dispute "Anna"\n  goal Agree a rota\n'
            'phase initial sessions 1-3\n')
    said = load_string(text, "plan.iptplan").diagnostics
    syntax = [d for d in said if d.code == "IPT001"]
    assert [(d.line, d.message) for d in syntax] == [
        (2, "a focus needs a colon and its problem area after its name"),
        (3, "this text needs double quotes around it")]
    stage = next(d for d in said if d.code == "IPT204")  # the dispute has no stage
    assert stage.line == 2 and text.split("\n")[1][stage.column - 1:].startswith("sister")
    assert not [d for d in said if d.code == "IPT002"]
    assert load_string(with_fixes(text, syntax), "plan.iptplan").diagnostics == tuple(
        d for d in said if d.code != "IPT001")


def test_a_broken_focus_line_s_name_is_not_reported_where_it_is_used():
    text = ('plan "x"\nfocus the sister: role_dispute "Anna"\nphase middle sessions 1-3\n'
            "  session 1\n    role_play for sister\n")
    said = load_string(text, "plan.iptplan").diagnostics
    assert [d.code for d in said if d.line == 2] == ["IPT001"]
    assert not {"IPT002", "IPT201"} & {d.code for d in said}  # not unknown; not "no focus"


def test_a_keyword_run_into_its_value_gets_a_space_not_a_new_keyword():
    """`protocolipc` was 'did you mean protocol?', whose fix dropped the `ipc`."""
    text = ('plan "x"\n  protocolipc\n  measurePHQ-9 every session\n  idd 7f3c9a2e1b4d\n'
            "focus sister: grief \"x\"\n")
    said = {d.line: d for d in load_string(text, "plan.iptplan").diagnostics if d.code == "IPT001"}
    assert said[2].message == "'protocolipc' is the keyword 'protocol' run into what follows; " \
                              "put a space after it"
    assert said[3].hint == "write: measure PHQ-9 every session"
    assert "did you mean 'id'?" in said[4].message  # a misspelt keyword stays one
    fixed = with_fixes(text, [said[2], said[3]]).split("\n")
    assert fixed[1:3] == ["  protocol ipc", "  measure PHQ-9 every session"]


def reference() -> str:
    from conftest import REFERENCE
    return REFERENCE.read_text(encoding="utf-8")


# One slip in the reference plan: the line as slipped, the one message it must give, and
# the line its fix must give back (the plan then checks clean).
SLIPS = [
    ("  schedule weekly from 2026-12-07 at 10:00 for 50 min",
     "  schedule weekly from 2026-12-07 at 2:30pm for 50 min",
     "'2:30pm' is not a time written HH:MM; on the 24-hour clock it is 14:30",
     "  schedule weekly from 2026-12-07 at 14:30 for 50 min"),
    ("  schedule weekly from 2026-12-07 at 10:00 for 50 min",
     "  schedule weekly from 2026-12-07 at 10:00 am for 50 min",
     "'10:00 am' is not a time written HH:MM; on the 24-hour clock it is 10:00", None),
    ("    psychoeducation\n", "    psychoeducation Depression is common and treatable\n",
     "this text needs double quotes around it",
     '    psychoeducation "Depression is common and treatable"\n'),
    ("    role_play for sister", "    role_play fro sister",
     "write 'for' between the technique and the focus it works on", None),
    ("    role_play for sister", "    role_ply sister",
     "'role_ply' is not a technique ipt-plan knows; did you mean 'role_play'?", None),
    ('  session 4 "The hospital appointment argument"',
     "  session 4 The hospital appointment argument",
     "a session's title needs double quotes around it", None),
    ("  stage renegotiation", "  stge renegotiation",
     "'stge' is not a keyword; did you mean 'stage'?", None),
    ('focus retirement: role_transition "Retired in June after 30 years at the library"',
     "focus retirement: role_transition Retired in June after 30 years at the library",
     "a focus's description needs double quotes around it", None),
    ('  goal "Agree a fair rota', '  goal: "Agree a fair rota',
     "a goal line has no colon after 'goal'", None),
    ("  measure PHQ-9", "  measurePHQ-9",
     "'measurePHQ-9' is the keyword 'measure' run into what follows; put a space after it", None),
    # Keyword slips that read as a technique's line
    ('  goal "Build two', '  Goal "Build two', "'Goal' is not a keyword; did you mean 'goal'?",
     None),
    ("  stage renegotiation", "  stagerenegotiation",
     "'stagerenegotiation' is the keyword 'stage' run into what follows; put a space after it",
     None),
    ('  session 1 "Assessment"', '  session1 "Assessment"',
     "'session1' is the keyword 'session' run into what follows; put a space after it", None),
    ("    sick_role", "    Sick_role",
     "'Sick_role' is not a name ipt-plan knows; did you mean 'sick_role'?", None),
]


@pytest.mark.parametrize("right, slip, message, fixed", SLIPS, ids=[s[1].strip() for s in SLIPS])
def test_one_slip_gives_one_message_whose_fix_gives_the_plan_back(right, slip, message, fixed):
    text = reference()
    slipped = text.replace(right, slip, 1)
    assert slipped != text
    [d] = load_string(slipped, "plan.iptplan").diagnostics
    assert (d.code, d.message) == ("IPT001", message)
    after = with_fixes(slipped, [d])
    assert after == (text if fixed is None else text.replace(right, fixed, 1))
    assert load_string(after, "plan.iptplan").diagnostics == ()


def test_a_broken_line_hides_only_what_depends_on_it():
    """A broken line in the initial phase does not hide that no middle-phase session
    works on a focus; a broken goal under one focus does not hide that another has none."""
    text = reference()
    unworked = text[:text.index("  session 9\n")] + text[text.index("phase termination"):]
    broken = unworked.replace("    sick_role\n", '    sick_role "the patient role\n')
    assert sorted(d.code for d in load_string(broken, "plan.iptplan").diagnostics) == [
        "IPT001", "IPT203"]
    goals = text.replace('  goal "Build two weekly activities with people outside the family"\n',
                         "").replace('  goal "Agree a fair rota', '  goal "Agree a fair rota" x')
    assert sorted(d.code for d in load_string(goals, "plan.iptplan").diagnostics) == [
        "IPT001", "IPT204"]


def test_an_unknown_technique_is_not_also_missing_from_its_phase():
    text = reference().replace("    relapse_prevention", "    relapse_prevension")
    assert [d.code for d in load_string(text, "plan.iptplan").diagnostics] == ["IPT002"]


def test_a_line_the_builder_cannot_use_is_not_judged_either():
    """`died 2027-01-32`: the date is said; the focus is not also told it has no date."""
    from conftest import PLANS

    text = (PLANS / "grief-husband-death.iptplan").read_text(encoding="utf-8").replace(
        "  died 2025-06", "  died 2027-01-32")
    [d] = load_string(text, "plan.iptplan").diagnostics
    assert d.message == "2027-01-32 is not a date: January 2027 has 31 days"


def test_a_misspelt_cadence_is_fixed_and_the_rest_of_its_line_said_at_once():
    text = reference().replace("schedule weekly from 2026-12-07 at 10:00 for 50 min",
                               "schedule weely from 2026-12-07 at 9am for 50 minuts")
    said = load_string(text, "plan.iptplan").diagnostics
    assert [d.column for d in said] == [12, 37, 48]
    assert "at 09:00 for 50 min\n" in with_fixes(text, said)
    assert load_string(with_fixes(text, said), "plan.iptplan").diagnostics == ()
