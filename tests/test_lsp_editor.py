"""The language server's pure pieces (ipt_plan.editor), without a server: positions in an
editor's units, what the cursor may write, completion, hover and the outline."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import PLANS, REFERENCE
from ipt_plan import load_string
from ipt_plan.editor import completion, context, hover, outline
from ipt_plan.editor.positions import UTF8, UTF16, UTF32, Edit, Lines, Position, Span, apply
from ipt_plan.knowledge import catalogue
from ipt_plan.model import Loc

CAREGIVER = REFERENCE.read_text(encoding="utf-8")
GRIEF = (PLANS / "grief-husband-death.iptplan").read_text(encoding="utf-8")


# --- positions ----------------------------------------------------------------------------

def test_a_column_after_an_emoji_counts_it_as_two_utf16_units():
    lines = Lines('  goal "Walk 🐕 daily" sistr')
    # "sistr" starts at column 24 (1-based code points); 🐕 is two UTF-16 units
    assert lines.position(1, 24) == Position(0, 24)
    assert Lines('  goal "Walk 🐕 daily" sistr', UTF32).position(1, 24) == Position(0, 23)
    assert Lines('  goal "Walk 🐕 daily" sistr', UTF8).position(1, 24) == Position(0, 26)


def test_accents_are_one_unit_in_utf16_and_two_bytes_in_utf8():
    lines = Lines('plan "Zoë" x')
    assert lines.position(1, 12) == Position(0, 11)
    assert Lines('plan "Zoë" x', UTF8).position(1, 12) == Position(0, 12)


@pytest.mark.parametrize("encoding", [UTF8, UTF16, UTF32])
def test_positions_go_back_to_the_same_column(encoding):
    text = 'plan "🐕 Zoë"\n  client A\n'
    lines = Lines(text, encoding)
    for column in range(1, 12):
        assert lines.column(lines.position(1, column)) == (1, column)


def test_a_byte_order_mark_the_editor_keeps_shifts_the_first_line_only():
    lines = Lines('\ufeffplan "x"\n  client A')
    assert lines.position(1, 1) == Position(0, 1)
    assert lines.position(2, 3) == Position(1, 2)
    assert lines.column(Position(0, 1)) == (1, 1)


def test_crlf_documents_keep_their_line_numbers():
    lines = Lines('plan "x"\r\n  clinician "é"\r\n')
    assert lines.position(2, 13) == Position(1, 12)


def test_places_past_a_line_or_the_document_come_back_to_its_end():
    lines = Lines("ab\ncd")
    assert lines.position(1, 10) == Position(0, 2)
    assert lines.position(9, 1) == Position(1, 2)
    assert lines.column(Position(7, 9)) == (2, 3)


def test_an_edit_after_the_last_line_starts_a_new_line():
    lines = Lines("a\nb")
    edit = lines.edit(Loc(3, 1, 1), "c\n")
    assert edit == Edit(Span(Position(1, 1), Position(1, 1)), "\nc")
    assert apply("a\nb", [edit]) == "a\nb\nc"


def test_apply_counts_utf16_units():
    text = "x 🐕 y\n"
    lines = Lines(text)
    assert apply(text, [lines.edit(Loc(1, 5, 6), "z")]) == "x 🐕 z\n"


# --- what the cursor may write ------------------------------------------------------------

def cursor(text: str) -> tuple[list[str], int, int]:
    """The lines of `text` and the 1-based place of its `|`."""
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if "|" in line:
            lines[number - 1] = line.replace("|", "", 1)
            return lines, number, line.index("|") + 1
    raise AssertionError("no cursor")


@pytest.mark.parametrize("text, kind", [
    ("|", "keyword"),
    ('plan "x"\n  |', "keyword"),
    ('plan "x"\n  protocol |', "protocol"),
    ('plan "x"\n  protocol ip|', "protocol"),
    ('plan "x"\n  measure PH|', "scale"),
    ('plan "x"\nphase |', "phase"),
    ('plan "x"\nfocus a: |', "area"),
    ('plan "x"\nfocus a: role_dispute\n  stage |', "stage"),
    ('plan "x"\nphase middle sessions 4-13\n  session 4\n    role_play for |', "focus"),
    ('plan "x"\nphase middle sessions 4-13\n  session 4\n    role_play for a, |', "focus"),
    ('plan "x"\nphase middle sessions 4-13\n  session 4 with parent, |', "participant"),
    ('plan "x"\nphase middle sessions 4-13\n  session 4 "t" by |', "by"),
    ('plan "x"\nlog\n  2026-01-05 session 1 held\n    score |', "scale"),
    ('plan "x"\nlog\n  2026-01-05 session 1 held\n    homework |', "outcome"),
    ('plan "x"\n  delivery |', "delivery"),
    ('plan "x"\nphase middle sessions 4-13\n  session 4\n    role_play "for |', "none"),
    ('plan "x"\nphase middle sessions 4-13\n  session 4\n    role_play # for |', "none"),
    ('plan "x"\n  schedule weekly from 2026-01-05 at 10:00 for |', "none"),
    ('plan "x"\nphase middle sessions 4-13\n  session 4 for |', "none"),
])
def test_what_the_cursor_may_write(text, kind):
    lines, line, column = cursor(text)
    assert context.where(lines, line, column).kind == kind


def test_the_names_already_listed_are_known():
    lines, line, column = cursor('phase middle sessions 4-13\n  session 4\n    role_play for a, b, |')
    assert context.where(lines, line, column).taken == ("a", "b")


@pytest.mark.parametrize("text, block", [
    ("|", context.Block("start")),
    ('plan "x"\n  client A\n|', context.Block("header")),
    ('plan "x"\nfocus a: grief "y"\n  goal "z"\n|', context.Block("focus", area="grief")),
    ('plan "x"\nphase middle sessions 4-13\n|', context.Block("phase", "middle")),
    ('plan "x"\nphase middle sessions 4-13\n  every session\n    x\n\n   # c\n|',
     context.Block("session", "middle")),
    ('plan "x"\nphase middle sessions 4-13\n  session 4\nlog\n  2026-01-05 session 1 held\n|',
     context.Block("log")),
])
def test_the_block_a_line_is_in(text, block):
    lines, line, _ = cursor(text)
    assert context.block_at(lines, line) == block


def test_the_word_being_written_starts_where_it_starts():
    lines, line, column = cursor('  measure PHQ-|')
    assert context.where(lines, line, column).start == 11


# --- completion ---------------------------------------------------------------------------

def completed(text: str, base: str = CAREGIVER) -> list[completion.Item]:
    result = load_string(base, "plans/a.iptplan")
    lines, line, column = cursor(text)
    return completion.complete(lines, line, column, result)[1]


def test_completion_after_for_lists_the_plan_s_foci_with_their_areas():
    items = completed(CAREGIVER.replace("    role_play for sister", "    role_play for |"))
    assert [(i.label, i.detail) for i in items] == [("sister", "Role dispute"),
                                                    ("retirement", "Role transition")]
    assert "Sister Anna" in items[0].documentation


def test_completion_in_a_middle_session_lists_the_middle_phase_s_techniques():
    items = completed(CAREGIVER.replace("    goal_review\n", "    |\n"))
    cat = catalogue()
    techniques = [i.label for i in items if i.kind == "technique"]
    assert techniques == [name for name, t in cat.techniques.items() if "middle" in t.phases]
    assert "interpersonal_inventory" not in techniques and "relapse_prevention" not in techniques
    role_play = next(i for i in items if i.label == "role_play")
    assert role_play.documentation == cat.techniques["role_play"].description
    assert {"homework", "note", "session"} <= {i.label for i in items if i.kind == "keyword"}


def test_completion_in_the_header_lists_header_keywords_with_an_example_line():
    items = completed('plan "x"\n  |', base='plan "x"\n')
    assert [i.label for i in items][:4] == ["client", "clinician", "protocol", "diagnosis"]
    assert next(i for i in items if i.label == "measure").documentation.startswith("`measure PHQ-9")


@pytest.mark.parametrize("text, expected", [
    ('plan "x"\nphase |', ["pretreatment", "initial", "middle", "termination", "continuation",
                           "maintenance"]),
    ('plan "x"\n  measure |', list(catalogue().measures)),
    ('plan "x"\nfocus a: role_dispute "d"\n  stage |', ["renegotiation", "impasse", "dissolution"]),
    ('plan "x"\nphase initial sessions 1-3\n  session 1 with parent, |',
     [p for p in catalogue().participants if p != "parent"]),
])
def test_completion_after_a_keyword(text, expected):
    assert [i.label for i in completed(text, base='plan "x"\n')] == expected


def test_completion_after_protocol_lists_the_profiles_with_their_titles():
    items = completed('plan "x"\n  protocol |', base='plan "x"\n')
    assert {"ipt", "ipt-uk", "ipt-a"} <= {i.label for i in items}
    assert all(i.detail for i in items)


def test_completion_without_a_check_yet_still_offers_the_catalogue():
    lines, line, column = cursor('plan "x"\n  measure |')
    assert completion.complete(lines, line, column, None)[1]


# --- hover --------------------------------------------------------------------------------

def hovered(text: str, base: str = CAREGIVER, today: dt.date | None = None) -> str | None:
    result = load_string(base, "plans/a.iptplan", today=today)
    lines, line, column = cursor(text)
    found = hover.hover(lines, line, column, result, result.diagnostics)
    return found.markdown if found else None


def test_hover_on_a_technique_gives_its_description_and_prompts():
    text = hovered(CAREGIVER.replace("    role_play for sister", "    role_p|lay for sister"))
    technique = catalogue().techniques["role_play"]
    assert technique.description in text
    assert all(prompt in text for prompt in technique.prompts)


def test_hover_on_a_technique_fills_the_protocol_s_words():
    text = hovered(CAREGIVER.replace("    psychoeducation\n", "    psycho|education\n"))
    assert "{condition" not in text and "depression" in text


def test_hover_on_a_focus_gives_its_area_description_goals_and_stage():
    text = hovered(CAREGIVER.replace("role_play for sister", "role_play for sis|ter"))
    assert "Role dispute" in text and "Sister Anna directs" in text
    assert "Agree a fair rota for mother's appointments" in text and "renegotiation" in text


def test_hover_on_a_session_gives_its_date_phase_and_measures():
    text = hovered(CAREGIVER.replace("  session 6\n", "  sess|ion 6\n"))
    # weekly from Monday 7 December 2026, 28 December skipped
    assert "Session 6** of 16" in text and "Monday 18 January 2027 at 10:00" in text
    assert "Middle phase" in text and "PHQ-9" in text


def test_hover_on_a_logged_session_says_it_was_held():
    text = hovered(GRIEF.replace('  session 2 "The story', '  session| 2 "The story'), GRIEF,
                   dt.date(2026, 7, 1))
    assert "(held)" in text


def test_hover_on_a_diagnostic_gives_the_rule_s_reasons_and_source():
    from ipt_plan.rules import RULES

    text = hovered(CAREGIVER.replace("role_play for sister", "role_play for sis|tr"),
                   CAREGIVER.replace("role_play for sister", "role_play for sistr"))
    rule = RULES["IPT002"]
    assert rule.rationale in text and rule.source in text


def test_no_hover_on_plain_text():
    assert hovered(CAREGIVER.replace("Anna pointing", "Anna poi|nting")) is None


# --- outline ------------------------------------------------------------------------------

def test_symbols_are_the_header_foci_phases_with_sessions_and_log():
    result = load_string(GRIEF, "plans/g.iptplan", today=dt.date(2026, 7, 1))
    symbols = outline.symbols(result.plan, GRIEF.split("\n"))
    assert [s.kind for s in symbols] == ["header", "focus", "phase", "phase", "phase", "log"]
    middle = symbols[3]
    assert middle.name == "middle phase" and middle.children[0].name.startswith("session")
    assert len(symbols[-1].children) == len(result.plan.log)
    lines = GRIEF.split("\n")
    for symbol in symbols:  # a block ends on code, not on the blank line before the next
        assert lines[symbol.last - 1].strip() and not lines[symbol.last - 1].lstrip().startswith("#")


def test_folds_span_phases_and_sessions():
    result = load_string(CAREGIVER, "plans/a.iptplan")
    lines = CAREGIVER.split("\n")
    folds = outline.folds(result.plan, lines)
    initial = lines.index("phase initial sessions 1-3") + 1
    assert (initial, initial + 9) in folds  # to `treatment_contract`, not the blank line
    assert (initial + 1, initial + 4) in folds  # session 1


def test_definition_and_references_of_a_focus():
    result = load_string(CAREGIVER, "plans/a.iptplan")
    plan = result.plan
    lines = CAREGIVER.split("\n")
    use = next(n for n, line in enumerate(lines, 1) if "role_play for sister" in line)
    column = lines[use - 1].index("sister") + 2
    definition = outline.definition(plan, use, column)
    assert lines[definition.line - 1].startswith("focus sister:")
    refs = outline.references(plan, use, column)
    assert refs[0] == definition and len(refs) == 1 + sum(
        line.count("sister") for line in lines if "for " in line and "focus" not in line)
    assert outline.references(plan, use, column, declaration=False) == refs[1:]
    assert outline.definition(plan, 1, 1) is None
