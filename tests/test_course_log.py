"""The log as the checker reads it: the measurement stage (what the scores say, by the
catalogue's numbers), the log rules (IPT501-IPT507), and the day a plan is checked as on
(`today`), pinned from the library and the command line."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from typer.testing import CliRunner

from ipt_plan import load_string
from ipt_plan import measurement as m
from ipt_plan.checking import check
from ipt_plan.cli import app
from ipt_plan.config import Config
from ipt_plan.knowledge import CatalogueError, catalogue
from ipt_plan.loader import load_file

NO_CONFIG = Config()
DAY = dt.date(2026, 3, 2)  # the day these plans are checked as on, unless a test says

COURSE = """plan "Ms. A: caregiving conflict with her sister"
  protocol ipt
  schedule weekly from 2026-01-05 at 10:00 for 50 min
  measure PHQ-9 every 4 sessions
  measure GAD-7 at sessions 1, 8, 16

focus sister: role_dispute "Sister Anna directs the care of their mother"
  stage renegotiation
  goal "Say what I can and cannot do, calmly"

phase initial sessions 1-3
  session 1
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract

phase middle sessions 4-13
  session 5
    communication_analysis

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention

log
"""


def checked(log: str, today: dt.date | None = None, plan: str = COURSE):
    """The plan with this log, checked as on `today`: by default the day after the log's
    last date (the log is up to date), or DAY for an empty log."""
    if today is None:
        dates = re.findall(r"^  (\d{4}-\d{2}-\d{2}) ", log, re.MULTILINE)
        today = max(map(dt.date.fromisoformat, dates)) + dt.timedelta(days=1) if dates else DAY
    return load_string(plan + log, "plan.iptplan", config=NO_CONFIG, today=today)


def codes_of(result) -> list[tuple[int, str]]:
    return [(d.line, d.code) for d in result.diagnostics]


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the line of `COURSE + log` holding `needle`."""
    return next(n for n, line in enumerate(text.split("\n"), 1) if needle in line)


FIRST_WEEKS = """  2026-01-05 session 1 held
    score PHQ-9 19 items 2 2 3 2 2 3 2 2 1
    score GAD-7 12
    risk "Passive thoughts of death, no plan; safety plan made"
  2026-01-12 session 2 held
  2026-01-19 session 3 held
  2026-01-26 session 4 held
    score PHQ-9 14
"""


# --- the catalogue's numbers -------------------------------------------------------------

def test_the_phq9_and_gad7_carry_their_sourced_numbers():
    phq, gad = catalogue().measures["PHQ-9"], catalogue().measures["GAD-7"]
    assert [(b.low, b.high) for b in phq.bands] == [(0, 4), (5, 9), (10, 14), (15, 19), (20, 27)]
    assert (phq.item_range, phq.cutoff, phq.reliable_change, phq.remission_below,
            phq.response, phq.risk_item, phq.risk_from, phq.loinc) == (
        (0, 3), 10, 6, 5, 50, 9, 1, "44261-6")
    assert [(b.low, b.high) for b in gad.bands] == [(0, 4), (5, 9), (10, 14), (15, 21)]
    assert (gad.item_range, gad.cutoff, gad.reliable_change, gad.loinc) == (
        (0, 3), 10, 4, "70274-6")
    assert gad.remission_below is None and gad.risk_item is None


def test_scales_without_the_numbers_still_load_and_are_not_judged_by_them():
    scales = catalogue().measures
    assert scales["HAM-D"].item_range is None  # its items are scored 0-4 or 0-2
    assert scales["CAPS-5"].items_add_up is False  # the total is of 20 of its 30 items
    assert scales["EPDS"].bands == () and scales["EPDS"].cutoff == 13
    assert scales["EPDS"].risk_item == 10
    # LOINC codes only where the domain notes verify one
    assert {name for name, s in scales.items() if s.loinc} == {"PHQ-9", "GAD-7"}


CLINIC_SCALE = """[measures.CORE-10]
label = "CORE-10"
items = 10
low = 0
high = 40
rater = "self"
source = "Barkham et al. 2013"
"""


def _clinic(tmp_path, extra: str):
    (tmp_path / "catalogue.toml").write_text(CLINIC_SCALE + extra, encoding="utf-8")
    return catalogue((tmp_path,))


def test_a_clinics_scale_may_give_the_same_numbers(tmp_path):
    scale = _clinic(tmp_path, 'item_range = [0, 4]\ncutoff = 11\nreliable_change = 6\n'
                              'bands = [[0, 10, "low"], [11, 40, "clinical"]]\n'
                              'risk_item = 6\nrisk_from = 2\n').measures["CORE-10"]
    assert (scale.item_range, scale.cutoff, scale.reliable_change, scale.risk_from) == (
        (0, 4), 11, 6, 2)
    assert m.band_of(scale, 11) == "clinical"


@pytest.mark.parametrize("extra, says", [
    ("item_range = [0, 3]\n", "10 items scored 0-3, which add up to 0-30, not the total's 0-40"),
    ('bands = [[0, 10, "low"], [12, 40, "high"]]\n', "a band from 12, where 11 was due"),
    ('bands = [[0, 10, "low"]]\n', "the last must end at the highest total, 40"),
    ("cutoff = 41\n", "'cutoff' as a whole number from 1 to 40"),
    ("risk_item = 11\n", "one of its 10 items"),
    ("risk_from = 1\n", "'risk_from' but no 'risk_item'"),
    ('loinc = "44261-5"\n', "check digit is wrong"),
    ('loinc = "PHQ"\n', "needs 'loinc' as a LOINC code"),
    ("response = 150\n", "'response' as a whole number from 1 to 100"),
])
def test_a_clinics_scale_with_wrong_numbers_says_which(tmp_path, extra, says):
    with pytest.raises(CatalogueError, match="CORE-10") as err:
        _clinic(tmp_path, extra)
    assert says in str(err.value)


# --- the measurement stage ---------------------------------------------------------------

PHQ = catalogue().measures["PHQ-9"]


@pytest.mark.parametrize("total, band", [(0, "none or minimal"), (4, "none or minimal"),
                                         (5, "mild"), (14, "moderate"),
                                         (15, "moderately severe"), (27, "severe")])
def test_band_of(total, band):
    assert m.band_of(PHQ, total) == band
    assert m.band_of(catalogue().measures["EPDS"], total) is None  # no bands


def test_reliable_change_response_and_remission_by_the_phq9():
    assert m.reliable_change(PHQ, 19, 13) == m.IMPROVEMENT  # down 6
    assert m.reliable_change(PHQ, 19, 14) == m.NO_RELIABLE_CHANGE  # down 5
    assert m.reliable_change(PHQ, 12, 18) == m.DETERIORATION  # up 6
    assert m.is_response(PHQ, 19, 9) is True and m.is_response(PHQ, 19, 10) is False
    assert m.is_response(PHQ, 0, 0) is None  # nothing to fall from
    assert m.is_remission(PHQ, 4) is True and m.is_remission(PHQ, 5) is False
    assert m.is_clinical(PHQ, 10) is True and m.is_clinical(PHQ, 9) is False
    ham = catalogue().measures["HAM-D"]
    assert m.reliable_change(ham, 20, 5) is None and m.is_clinical(ham, 30) is None


def test_progress_of_each_scale_from_baseline_to_latest():
    result = checked(FIRST_WEEKS + """  2026-02-02 session 5 held
  2026-02-09 session 6 cancelled "clinic closed"
  2026-02-16 session 6 held
  2026-02-23 session 7 held
  2026-03-02 session 8 held
    score PHQ-9 9
    score GAD-7 13
""")
    assert result.ok, codes_of(result)
    progress = m.progress_of(result.plan, result.catalogue)
    assert list(progress) == ["PHQ-9", "GAD-7"]
    phq = progress["PHQ-9"]
    assert phq.baseline == m.Point(1, dt.date(2026, 1, 5), 19)
    assert phq.latest == (8, dt.date(2026, 3, 2), 9)
    assert [p.total for p in phq.points] == [19, 14, 9]
    assert (phq.change, phq.band, phq.baseline_band) == (-10, "mild", "moderately severe")
    assert (phq.response, phq.remission, phq.reliable) == (True, False, m.IMPROVEMENT)
    assert phq.clinical_at_baseline is True and phq.deterioration is None
    assert phq.definition.loinc == "44261-6"
    gad = progress["GAD-7"]
    assert (gad.change, gad.reliable, gad.response, gad.remission) == (
        1, m.NO_RELIABLE_CHANGE, None, None)


def test_progress_leaves_out_scores_that_do_not_fit_and_sessions_logged_twice():
    result = checked("""  2026-01-05 session 1 held
    score PHQ-9 30
    score PHQ9 12
  2026-01-12 session 2 held
    score PHQ-9 18
  2026-01-12 session 2 held
    score PHQ-9 3
""")
    progress = m.progress_of(result.plan, result.catalogue)
    assert [p.total for p in progress["PHQ-9"].points] == [18]


def test_the_course_middle_and_main_scale():
    result = checked("")
    assert m.main_scale(result.plan) == "PHQ-9"
    assert m.course_sessions(result.plan) == list(range(1, 17))
    assert m.middle_session(result.plan) == 8
    odd = checked("", plan=COURSE.replace("sessions 14-16", "sessions 14-15")
                  .replace("session 16\n", "session 15\n").replace(", 16\n", ", 15\n"))
    assert m.middle_session(odd.plan) == 8  # the higher of 7.5


def test_risk_signal_is_the_risk_items_score():
    result = checked(FIRST_WEEKS)
    score = result.plan.log[0].scores[0]
    assert m.risk_signal(score, PHQ).text == "1"
    assert m.risk_signal(score._replace(items=score.items[:8]), PHQ) is None  # which is item 9?


# --- today --------------------------------------------------------------------------------

LATE_LOG = "  2026-01-05 session 1 held\n    score PHQ-9 12\n    score GAD-7 9\n"


def test_the_facade_checks_as_on_the_day_it_is_given():
    result = checked(LATE_LOG, today=dt.date(2026, 1, 6))
    assert result.today == dt.date(2026, 1, 6)
    assert result.diagnostics == ()
    assert checked(LATE_LOG, today=dt.date(2026, 1, 1)).diagnostics[0].code == "IPT501"


def test_without_a_day_the_facade_uses_the_real_date():
    assert load_string(COURSE, config=NO_CONFIG).today == dt.date.today()


def test_many_plans_are_checked_as_on_one_day(tmp_path):
    (tmp_path / "a.iptplan").write_text(COURSE + LATE_LOG, encoding="utf-8")
    (results,) = check([tmp_path], today=dt.date(2026, 1, 1))
    assert results.today == dt.date(2026, 1, 1)
    assert [d.code for d in results.diagnostics] == ["IPT501"]
    assert load_file(tmp_path / "a.iptplan", today=dt.date(2026, 1, 6)).diagnostics == ()


def test_outputs_date_owed_sessions_from_the_results_day():
    from ipt_plan.agenda import course_from_result
    from ipt_plan.export import to_json

    result = checked(LATE_LOG, today=dt.date(2026, 3, 2))
    course = course_from_result(result)
    assert [s.date for s in course.sessions[:3]] == ["2026-01-05", "2026-03-02", "2026-03-09"]
    assert '"2026-03-02' in to_json(result)


runner = CliRunner()


@pytest.fixture
def plan_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "plan.iptplan"
    path.write_text(COURSE + LATE_LOG, encoding="utf-8")
    return path


def test_check_takes_today(plan_file):
    assert runner.invoke(app, ["check", str(plan_file), "--today", "2026-01-06"]).exit_code == 0
    before = runner.invoke(app, ["check", str(plan_file), "--today", "2026-01-01"])
    assert before.exit_code == 1 and "IPT501" in before.output


@pytest.mark.parametrize("day", ["2026-02-30", "tomorrow", "20260106", "2026-1-6", ""])
@pytest.mark.parametrize("command", [["check"], ["render", "-o", "out"],
                                     ["export", "-f", "json"]])
def test_a_bad_day_is_a_usage_error(plan_file, command, day):
    found = runner.invoke(app, [command[0], str(plan_file), *command[1:], "--today", day])
    assert found.exit_code == 2
    assert "YYYY-MM-DD" in found.output


def test_render_and_export_take_today(plan_file):
    exported = runner.invoke(app, ["export", str(plan_file), "-f", "json", "--today",
                                   "2026-03-02"])
    assert exported.exit_code == 0 and '"2026-03-02' in exported.output
    rendered = runner.invoke(app, ["render", str(plan_file), "-o", "out", "--today",
                                   "2026-03-02"])
    assert rendered.exit_code == 0, rendered.output
    agenda = (plan_file.parent / "out" / "plan.iptplan" / "session-02.md").read_text()
    assert "2026-03-02" in agenda


# --- the rules ---------------------------------------------------------------------------

def held(number: int, day: dt.date, *lines: str, status: str = "held") -> str:
    text = f"  {day.isoformat()} session {number} {status}\n"
    return text + "".join(f"    {line}\n" for line in lines)


MONDAYS = [dt.date(2026, 1, 5) + dt.timedelta(weeks=k) for k in range(20)]


def weekly_log(scores: dict[int, int], sessions: int, **extra: list[str]) -> str:
    """Sessions 1..`sessions` held on the course's Mondays, with PHQ-9 scores where given."""
    return "".join(held(n, MONDAYS[n - 1],
                        *([f"score PHQ-9 {scores[n]}"] if n in scores else []),
                        *extra.get(f"s{n}", []))
                   for n in range(1, sessions + 1))


def found(log: str, today: dt.date | None = None, plan: str = COURSE) -> list[str]:
    return [d.code for d in checked(log, today, plan).diagnostics]


def test_a_clean_log_raises_nothing():
    log = weekly_log({1: 19, 4: 14, 8: 9}, 8, s1=["score GAD-7 12"], s8=["score GAD-7 8"])
    assert found(log) == []


def test_an_entry_after_today_is_an_error_and_asks_no_score():
    log = weekly_log({1: 19}, 3, s1=["score GAD-7 12"]) + held(4, MONDAYS[3])
    result = checked(log, today=dt.date(2026, 1, 25))
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("IPT501", "this entry is dated 2026-01-26, after today (2026-01-25)")]
    assert "--today" in result.diagnostics[0].hint


def test_a_year_typed_wrong_is_one_message():
    log = (weekly_log({1: 19}, 3, s1=["score GAD-7 12"])
           + held(4, dt.date(2025, 1, 26), "score PHQ-9 15") + held(5, MONDAYS[4]))
    result = checked(log)
    assert [d.code for d in result.diagnostics] == ["IPT501"]
    assert "comes after one dated 2026-01-19" in result.diagnostics[0].message


def test_a_session_cancelled_then_held_is_not_held_twice():
    log = (held(1, MONDAYS[0], "score PHQ-9 19", "score GAD-7 12")
           + held(2, MONDAYS[1], status='cancelled "client unwell"')
           + held(2, MONDAYS[2]))
    assert found(log) == []


def test_session_zero_only_where_the_plan_has_one():
    result = checked(held(0, MONDAYS[0]))
    assert [d.message for d in result.diagnostics] == [
        "this plan has no session 0; its sessions run 1-16"]


def test_an_unknown_scale_is_one_message_not_a_missing_score_too():
    assert found(held(1, MONDAYS[0], "score PHQ9 19", "score GAD-7 12")) == ["IPT502"]


def test_a_missing_score_names_the_measure_line():
    result = checked(held(1, MONDAYS[0], "score PHQ-9 19"))
    (d,) = result.diagnostics
    assert d.code == "IPT503" and d.message == (
        "the GAD-7 was due at session 1 (measure GAD-7 at sessions 1, 8, 16, line 5), but "
        "this entry has no score of it")


def test_a_missing_score_can_be_silenced_on_its_entry():
    log = held(1, MONDAYS[0], "score PHQ-9 19").replace(
        "held\n", "held   # ipt-plan: ignore[IPT503]\n", 1)
    assert found(log) == []


def test_a_score_that_does_not_fit_is_not_also_a_deterioration():
    log = weekly_log({1: 12, 4: 30}, 4, s1=["score GAD-7 12"])
    assert found(log) == ["IPT502"]


@pytest.mark.parametrize("items, says", [
    ("2 2 3 2 2 3 2 2 1 0", "the PHQ-9 has 9 items; this score gives 10"),
    ("2 2 3 2 2 3 2 2 4", "a PHQ-9 item is scored 0-3, but item 9 is 4"),
    ("5 2 3 2 2 3 2 2 4", "a PHQ-9 item is scored 0-3, but item 1 is 5 and item 9 is 4"),
    ("2 2 3 2 2 3 2 2 0", "the PHQ-9 items add up to 18, not the total 19"),
])
def test_items_that_do_not_fit(items, says):
    result = checked(held(1, MONDAYS[0], f"score PHQ-9 19 items {items}", "score GAD-7 12",
                          'risk "none"'))
    assert [(d.code, d.message) for d in result.diagnostics] == [("IPT502", says)]


def test_scales_whose_items_differ_check_only_what_holds():
    hamd = "score HAM-D 20 items 4 4 4 2 2 2 0 0 0 0 0 0 0 0 2 0 0"
    caps = "score CAPS-5 12 items " + " ".join(["1"] * 30)
    assert found(held(1, MONDAYS[0], "score PHQ-9 19", "score GAD-7 12", hamd, caps)) == []
    assert found(held(1, MONDAYS[0], "score PHQ-9 19", "score GAD-7 12",
                      hamd.replace("HAM-D 20", "HAM-D 21"))) == ["IPT502"]


def test_not_on_track_at_the_middle_session_only():
    assert found(weekly_log({1: 18, 4: 17}, 7, s1=["score GAD-7 9"])) == []  # not yet
    result = checked(weekly_log({1: 18, 4: 17, 8: 13}, 8, s1=["score GAD-7 9"],
                                s8=["score GAD-7 9"]))
    (track,) = result.diagnostics
    assert track.message == (
        "by session 8 the PHQ-9 has gone from 18 to 13 (down 5): no reliable improvement "
        "(a fall of 6 or more) by the middle of the course (session 8 of 16)")
    assert found(weekly_log({1: 18, 4: 17, 8: 12}, 8, s1=["score GAD-7 9"],
                            s8=["score GAD-7 9"])) == []


def test_not_on_track_by_the_sessions_held_when_the_middle_rating_was_missed():
    log = weekly_log({1: 18, 4: 17}, 9, s1=["score GAD-7 9"], s8=["score GAD-7 9"])
    result = checked(log)
    assert [d.code for d in result.diagnostics] == ["IPT503", "IPT504"]
    track = result.diagnostics[1]
    assert track.line == line_of(COURSE + log, "2026-03-02 session 9 held")
    assert track.message == (
        "by session 9, past the middle of the course (session 8 of 16), the PHQ-9's latest "
        "score (17, at session 4) is down 1 from 18: no reliable improvement (a fall of 6 or "
        "more)")
    assert m.on_track(result.plan, result.catalogue).held == 9


def test_not_on_track_only_from_a_baseline_in_the_clinical_range():
    log = weekly_log({1: 9, 4: 9, 8: 8}, 8, s1=["score GAD-7 9"], s8=["score GAD-7 9"])
    assert found(log) == []


def test_not_on_track_is_judged_on_the_main_scale_only():
    plan = COURSE.replace("  measure GAD-7 at sessions 1, 8, 16\n", "").replace(
        "  measure PHQ-9 every 4 sessions\n",
        "  measure GAD-7 every 4 sessions\n  measure PHQ-9 at sessions 1, 8\n")
    log = (held(1, MONDAYS[0], "score GAD-7 15", "score PHQ-9 18")
           + "".join(held(n, MONDAYS[n - 1]) for n in (2, 3))
           + held(4, MONDAYS[3], "score GAD-7 12")
           + "".join(held(n, MONDAYS[n - 1]) for n in (5, 6, 7))
           + held(8, MONDAYS[7], "score GAD-7 10", "score PHQ-9 17"))
    assert found(log, plan=plan) == []  # the GAD-7 fell 5: 4 is reliable


def test_a_worsening_latest_score_is_a_deterioration_not_also_off_track():
    log = weekly_log({1: 12, 4: 13, 8: 19}, 8, s1=["score GAD-7 9"], s8=["score GAD-7 9"])
    result = checked(log)
    assert [d.code for d in result.diagnostics] == ["IPT505"]
    assert result.diagnostics[0].line == line_of(COURSE + log, "score PHQ-9 19")


def test_deterioration_is_reported_once_at_its_first_score():
    log = weekly_log({1: 12, 2: 18, 3: 20, 4: 21}, 4, s1=["score GAD-7 9"])
    result = checked(log)
    assert [d.code for d in result.diagnostics] == ["IPT505"]
    assert "from 12 at session 1 to 18 at session 2 (up 6)" in result.diagnostics[0].message


def test_a_positive_risk_item_needs_a_risk_line_in_its_entry():
    score = "score PHQ-9 19 items 2 2 3 2 2 3 2 2 1"
    assert found(held(1, MONDAYS[0], score, "score GAD-7 12")) == ["IPT506"]
    assert found(held(1, MONDAYS[0], score, "score GAD-7 12", 'risk "no plan"')) == []
    no_risk = "score PHQ-9 19 items 2 2 3 2 2 3 2 3 0"
    assert found(held(1, MONDAYS[0], no_risk, "score GAD-7 12")) == []
    assert found(held(1, MONDAYS[0], "score PHQ-9 19", "score GAD-7 12")) == []  # no items


def test_the_epds_risk_item_is_item_10():
    epds = "score EPDS 14 items 2 2 2 2 2 2 1 0 0 1"
    result = checked(held(1, MONDAYS[0], "score PHQ-9 12", "score GAD-7 9", epds))
    assert [d.message for d in result.diagnostics] == [
        "item 10 of the EPDS (its risk item) is 1, but session 1 has no risk line"]


def test_cancellations_that_push_the_course_past_its_weeks():
    log = (held(1, MONDAYS[0], "score PHQ-9 19", "score GAD-7 12")
           + held(2, MONDAYS[1]) + held(3, MONDAYS[2]))
    assert found(log, today=dt.date(2026, 1, 20)) == []
    # The same log, looked at six weeks later: the owed sessions are dated from then on.
    result = checked(log, today=dt.date(2026, 3, 2))
    (d,) = result.diagnostics
    assert d.code == "IPT507" and d.message.startswith(
        "with the sessions still owed dated from today, the course now ends with session 16 "
        "on Mon 2026-05-25, 21 weeks")
    assert d.line == line_of(COURSE + log, "session 3 held")


def test_a_course_too_long_as_planned_is_ipt106_only():
    plan = COURSE.replace("at 10:00 for 50 min\n", "at 10:00 for 50 min\n" + "".join(
        f"  skip {MONDAYS[k].isoformat()}\n" for k in range(3, 8)))
    assert found("", plan=plan) == ["IPT106"]
    log = held(1, MONDAYS[0], "score PHQ-9 19", "score GAD-7 12")
    assert found(log, today=dt.date(2026, 5, 1), plan=plan) == ["IPT106"]


def test_ipt106_judges_the_plans_schedule_not_the_projection():
    log = held(1, MONDAYS[0], "score PHQ-9 19", "score GAD-7 12")
    assert found(log, today=dt.date(2026, 9, 1)) == ["IPT507"]


def test_twice_weekly_is_suggested_where_the_protocol_allows_it():
    plan = COURSE.replace("protocol ipt\n", "protocol ipt-uk\n").replace(
        "phase middle sessions 4-13", "phase middle sessions 4-13\n  session 12\n    goal_review")
    log = held(1, MONDAYS[0], "score PHQ-9 19", "score GAD-7 12")
    result = checked(log, today=dt.date(2026, 9, 1), plan=plan)
    overrun = [d for d in result.diagnostics if d.code == "IPT507"]
    assert overrun and "schedule twice weekly from session 2" in overrun[0].hint


def test_plans_without_a_log_are_judged_as_before():
    assert checked("", plan=COURSE.replace("\nlog\n", "\n")).diagnostics == ()


def test_explain_says_which_day_the_examples_are_checked_as_on():
    shown = runner.invoke(app, ["explain", "IPT507"])
    assert shown.exit_code == 0
    assert "checked as on 2026-03-02 (ipt-plan check --today 2026-03-02)" in shown.output
    assert "checked as on" not in runner.invoke(app, ["explain", "IPT203"]).output


def test_the_rules_context_defaults_to_the_real_date():
    from ipt_plan.rules import Context

    result = checked("")
    context = Context(result.plan, result.profile, result.catalogue, result.graph)
    assert context.today == dt.date.today()
