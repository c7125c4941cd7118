"""Diagnostics carry their fixes as data (`Diagnostic.fixes`): for each "did you mean" and
each missing required line, applying the fix the diagnostic offers leaves the plan as
clean as it was before the slip. An editor offers them as quick fixes (ipt_plan.lsp)."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import PLANS, REFERENCE
from ipt_plan import load_string
from ipt_plan.diagnostics import Fix

CAREGIVER = REFERENCE.read_text(encoding="utf-8")
GRIEF = (PLANS / "grief-husband-death.iptplan").read_text(encoding="utf-8")
AFTER_THE_GRIEF_LOG = dt.date(2026, 7, 1)  # its log's last entry is 2026-06-29


def applied(text: str, fix: Fix) -> str:
    """The text with the fix made, as its docstring says: a span replaced, or a line added
    after the last."""
    lines = text.split("\n")
    if fix.loc.line == len(lines) + 1:
        return text + "\n" + fix.text.removesuffix("\n")
    line = lines[fix.loc.line - 1]
    lines[fix.loc.line - 1] = (line[:fix.loc.column - 1] + fix.text
                               + line[fix.loc.end_column - 1:])
    return "\n".join(lines)


def slipped(base: str, old: str, new: str, count: int = 1) -> str:
    assert old in base, old
    return base.replace(old, new, count)


# (the plan it is made in, the text as written, the slip, the code its diagnostic has[,
# the text after the fix where it is not the text as written])
SLIPS = {
    "technique": ("caregiver", "    interpersonal_inventory", "    interpersonal_inventry", "IPT002"),
    "technique-case": ("caregiver", "    sick_role", "    Sick_role", "IPT001"),
    "focus": ("caregiver", "role_play for sister", "role_play for sistr", "IPT002"),
    "protocol": ("caregiver", "protocol ipt\n", "protocol itp\n", "IPT002"),
    "measure": ("caregiver", "measure PHQ-9 every", "measure PHQ9 every", "IPT002"),
    "area": ("caregiver", "sister: role_dispute", "sister: role_dispte", "IPT002"),
    "stage": ("caregiver", "stage renegotiation", "stage renegotation", "IPT002"),
    "phase": ("caregiver", "phase middle", "phase midle", "IPT002"),
    "phase-alias": ("caregiver", "phase termination", "phase ending", "IPT002"),
    "delivery": ("caregiver", "  protocol ipt\n", "  protocol ipt\n  delivery vidoe\n", "IPT002",
                 "  protocol ipt\n  delivery video\n"),
    "participant": ("caregiver", "  session 6\n", "  session 6 with famly\n", "IPT002",
                    "  session 6 with family\n"),
    "keyword-line": ("caregiver", "  session 8\n", "  sesion 8\n", "IPT001"),
    "keyword-header": ("caregiver", '  clinician "Dr', '  clinican "Dr', "IPT001"),
    "spaced-technique": ("caregiver", "    role_play for sister", "    role play for sister", "IPT001"),
    "spaced-area": ("caregiver", "retirement: role_transition", "retirement: role transition",
                    "IPT001"),
    "spaced-scale": ("caregiver", "measure PHQ-9 every", "measure PHQ 9 every", "IPT001"),
    "curly-quotes": ("caregiver", '"Dr. R. Moreno"', "\u201cDr. R. Moreno\u201d", "IPT001"),
    "curly-closing-quote": ("caregiver", 'goal "Build two weekly activities with people outside '
                            'the family"', 'goal "Build two weekly activities with people '
                            'outside the family\u201d', "IPT001"),
    "missing-stage": ("caregiver", "  stage renegotiation\n", "", "IPT204"),
    "missing-died": ("grief", "  died 2025-06\n", "", "IPT204"),
    "log-scale": ("grief", "    score PHQ-9 8\n", "    score PHQ9 8\n", "IPT502"),
}
BASES = {"caregiver": CAREGIVER, "grief": GRIEF}


@pytest.mark.parametrize("slip", sorted(SLIPS))
def test_each_fix_leaves_the_plan_as_clean_as_before_the_slip(slip):
    base_name, old, new, code, *corrected = SLIPS[slip]
    base = BASES[base_name]
    clean = load_string(base, "plans/plan.iptplan", today=AFTER_THE_GRIEF_LOG)
    assert clean.diagnostics == () or all(d.severity.value == "warning"
                                          for d in clean.diagnostics), clean.diagnostics
    text = slipped(base, old, new)
    found = [d for d in load_string(text, "plans/plan.iptplan", today=AFTER_THE_GRIEF_LOG
                                    ).diagnostics if d.code == code]
    assert len(found) == 1, found
    [fix] = found[0].fixes
    fixed = applied(text, fix)
    after = load_string(fixed, "plans/plan.iptplan", today=AFTER_THE_GRIEF_LOG)
    if slip != "missing-died":  # a placeholder date, in the month the course began
        assert fixed == (slipped(base, old, corrected[0]) if corrected else base)
    assert [(d.code, d.message) for d in after.diagnostics] == [
        (d.code, d.message) for d in clean.diagnostics]


def test_a_died_line_is_added_in_the_month_the_course_begins_for_the_clinician_to_correct():
    text = slipped(GRIEF, "  died 2025-06\n", "")
    [d] = [d for d in load_string(text, today=AFTER_THE_GRIEF_LOG).diagnostics
           if d.code == "IPT204"]
    [fix] = d.fixes
    assert fix.text == "  died 2026-03\n"  # the schedule's first session: 2026-03-02
    assert "correct" in fix.title
    focus_line = text.split("\n").index(next(line for line in text.split("\n")
                                             if line.startswith("focus geoff")))
    assert (fix.loc.line, fix.loc.column, fix.loc.end_column) == (focus_line + 2, 1, 1)


def test_a_fix_adds_a_line_after_the_last_of_a_plan_without_a_final_newline():
    text = 'plan "x"\nfocus sister: role_dispute "y"'
    [d] = [d for d in load_string(text).diagnostics if "has no stage" in d.message]
    [fix] = d.fixes
    assert fix.loc.line == 3  # the line after the last
    assert applied(text, fix) == text + "\n  stage renegotiation"


def test_no_fix_is_offered_where_nothing_is_close():
    text = slipped(CAREGIVER, "role_play for sister", "role_play for xyzzy")
    [d] = [d for d in load_string(text).diagnostics if "xyzzy" in d.message]
    assert d.fixes == () and d.hint == "the foci are: sister, retirement"


def test_straight_quotes_are_offered_only_where_they_make_the_line_read():
    text = slipped(CAREGIVER, '"Dr. R. Moreno"', '\u201cDr. R. "Bob" Moreno\u201d')
    [d] = [d for d in load_string(text).diagnostics if d.code == "IPT001"]
    assert d.fixes == ()


def test_a_name_written_apart_is_said_as_that_slip():
    text = slipped(CAREGIVER, "    role_play for sister", "    role play for sister")
    [d] = [d for d in load_string(text).diagnostics if d.code == "IPT001"]
    assert d.message == "'role play' is not a name ipt-plan knows; did you mean 'role_play'?"
    assert d.hint == "a name is written as one word, as the catalogue has it: role_play"
    assert (d.column, d.end_column) == (5, 14)


def test_a_name_written_apart_that_the_catalogue_writes_as_one_word_is_found():
    """`psycho education` for psychoeducation: the hint was `write: psycho for education`,
    which made two errors of one."""
    text = slipped(CAREGIVER, "    psychoeducation", "    psycho education")
    said = [d for d in load_string(text).diagnostics if d.code == "IPT001"]
    assert [d.message for d in said] == [
        "'psycho education' is not a name ipt-plan knows; did you mean 'psychoeducation'?"]
    assert said[0].fixes[0].text == "psychoeducation"


def test_words_apart_that_name_nothing_get_no_hint_that_makes_it_worse():
    """`role sister` names no technique: `write: role for sister` would add two errors."""
    text = slipped(CAREGIVER, "    role_play for sister", "    role sister")
    [d] = load_string(text).diagnostics
    assert d.message == "'role' is not a technique ipt-plan knows; a technique line has one name"
    assert "role for" not in d.hint and "ipt-plan techniques" in d.hint
    assert (d.column, d.end_column) == (5, 9) and d.fixes == ()


def test_a_technique_before_a_focus_still_gets_its_for():
    text = slipped(CAREGIVER, "    role_play for sister", "    role_play sister")
    [d] = load_string(text).diagnostics
    assert d.message == "write 'for' between the technique and the focus it works on"
    assert d.hint == 'write: role_play for sister "Saying no to the Thursday appointment"'
    assert d.fixes and d.fixes[0].text.strip() == "for"


def test_a_configured_severity_keeps_the_fixes(tmp_path):
    (tmp_path / "ipt-plan.toml").write_text('[severity]\nIPT002 = "warning"\n')
    text = slipped(CAREGIVER, "role_play for sister", "role_play for sistr")
    [d] = [d for d in load_string(text, str(tmp_path / "a.iptplan")).diagnostics
           if d.code == "IPT002"]
    assert d.severity.value == "warning" and d.fixes


def test_the_json_report_is_unchanged_by_fixes():
    text = slipped(CAREGIVER, "role_play for sister", "role_play for sistr")
    [d] = [d for d in load_string(text).diagnostics if d.code == "IPT002"]
    assert set(d.as_dict()) == {"path", "line", "column", "end_column", "severity", "code",
                                "message", "hint"}
