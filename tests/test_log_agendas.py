"""Agendas of a plan with a log: what happened at the last appointments, the scores so far
with their band and trend, the risk a session left unassessed, the dates the log moves,
and the overview's chart and record of the course so far. The day is pinned: in a plan
with a log, sessions still owed are projected from today on."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from typer.testing import CliRunner

from conftest import REFERENCE
from ipt_plan import load_string
from ipt_plan.cli import app
from ipt_plan.agenda import build_course, course_from_result
from ipt_plan.renderer import FORMATS, render

TODAY = dt.date(2027, 1, 27)  # a Wednesday: session 6 was missed on Monday

# Ms. A's course as it went: the clinic closed on 2026-12-28 (the plan skips it), she was
# unwell on the 21st, so session 3 was held a fortnight late, and she missed session 6.
LOG = '''
log
  2026-12-07 session 1 held
    score PHQ-9 19 items 2 2 3 2 2 3 2 2 1
    risk "Passive thoughts of death, no plan; safety plan agreed"
    note "Tearful; her sister visits at the weekend"
  2026-12-14 session 2 held
    score PHQ-9 17 items 2 2 2 2 2 2 2 2 1
    risk "Thoughts of death less often; safety plan kept"
  2026-12-21 session 3 cancelled "client unwell"
  2027-01-04 session 3 held
    score PHQ-9 15 items 2 2 2 2 2 2 2 1 0
  2027-01-11 session 4 held
    score PHQ-9 13 items 2 2 2 1 1 2 1 2 0
    note "Anna agreed to share the Tuesday visits"
  2027-01-18 session 5 held
    score PHQ-9 12 items 2 1 2 1 1 2 1 2 0
    homework partly "Wrote down Anna's requests on three days"
    note "Said no to the Thursday appointment, then gave in"
  2027-01-25 session 6 missed
'''
SESSION_5_SCORE = "    score PHQ-9 12 items 2 1 2 1 1 2 1 2 0\n"
# The same total, with item 9 (thoughts of death or self-harm) scored 1 and no risk line.
UNASSESSED_RISK = LOG.replace(SESSION_5_SCORE, "    score PHQ-9 12 items 2 1 2 1 1 2 1 1 1\n")
SCORES = [19, 17, 15, 13, 12]  # PHQ-9, sessions 1-5


def logged(log: str = LOG, today: dt.date = TODAY, **kwargs):
    result = load_string(REFERENCE.read_text(encoding="utf-8") + log, "ms-a.iptplan",
                         today=today, **kwargs)
    assert not result.errors, [d.message for d in result.diagnostics]
    return result


def course(log: str = LOG, today: dt.date = TODAY, **kwargs):
    return course_from_result(logged(log, today, **kwargs))


def documents(fmt: str, log: str = LOG, today: dt.date = TODAY, **kwargs) -> dict[str, str]:
    return {d.name: d.text for d in render(course(log, today, **kwargs), fmt)}


def session_file(number: int, fmt: str) -> str:
    return f"session-{number:02d}.{fmt}"


def flat(text: str) -> str:
    """The text as one line, however it was wrapped, and without the markup that keeps an
    HTML date on one line."""
    return " ".join(DATE_SPAN.sub(r"\1", text).split())


DATE_SPAN = re.compile(r'<span class="date">([^<]*)</span>')


LOOKING_BACK = {"md": "- **Since the last session:**", "html": "<dt>Log</dt>",
                "txt": "Since the last session:"}


def html_text(text: str) -> str:
    return text.replace("&#39;", "'")


# --- whether the last session happened ------------------------------------------------


def test_only_the_next_session_looks_back_on_the_log():
    sessions = {s.number: s for s in course().sessions}
    assert [n for n, s in sessions.items() if s.date_status == "held"] == [1, 2, 3, 4, 5]
    assert all(s.date_status == "projected" for n, s in sessions.items() if n >= 6)
    # The next session: the last one held, then what came after it.
    assert [(e.session, e.status) for e in sessions[6].since_last] == [(5, "held"), (6, "missed")]
    # A held session's agenda stays the one it had; the log cannot speak for later ones.
    assert all(s.since_last == () and s.scores == () for n, s in sessions.items() if n != 6)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_next_agenda_says_the_last_session_was_missed_and_how_the_one_held_went(fmt):
    six = documents(fmt)[session_file(6, fmt)]
    assert six.count(LOOKING_BACK[fmt]) == 1
    looking_back = html_text(flat(six[six.index(LOOKING_BACK[fmt]):]))
    held = looking_back.index(
        "Session 5, Monday 18 January 2027: held; homework from the session before partly done "
        "(Wrote down Anna's requests on three days); note: Said no to the Thursday "
        "appointment, then gave in")
    missed = looking_back.index("Session 6, Monday 25 January 2027: missed (did not attend)")
    assert held < missed
    for other in (1, 3, 5, 7, 16):
        assert LOOKING_BACK[fmt] not in documents(fmt)[session_file(other, fmt)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_cancelled_session_is_shown_with_its_reason(fmt):
    # The log as it stood on 22 December: session 3 is the next one, owed again.
    until_cancelled = LOG[:LOG.index("  2027-01-04")]
    three = html_text(flat(documents(fmt, until_cancelled, dt.date(2026, 12, 22))[
        session_file(3, fmt)]))
    assert ("Session 2, Monday 14 December 2026: held; risk assessed: Thoughts of death less "
            "often; safety plan kept") in three
    assert "Session 3, Monday 21 December 2026: cancelled (client unwell)" in three


def test_the_last_entry_cancelled_is_what_the_next_agenda_reports():
    log = LOG.replace("  2027-01-25 session 6 missed\n",
                      '  2027-01-25 session 6 cancelled "her mother was taken to hospital"\n')
    six = documents("md", log)[session_file(6, "md")]
    assert ("  - Session 6, Monday 25 January 2027: cancelled (her mother was taken to "
            "hospital)\n") in six
    assert "missed" not in six


# --- the last scores, their band and trend ---------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_next_agenda_gives_the_last_score_with_its_band_and_trend(fmt):
    six = flat(documents(fmt)[session_file(6, fmt)])
    trend = ("12 at session 5, moderate; baseline 19 at session 1: down 7, reliable "
             "improvement")
    line = {"md": f"- **PHQ-9 so far:** `▆▅▅▄▄` {trend}",
            "txt": f"PHQ-9 so far: *++== {trend}",
            "html": f"</svg> {trend}</dd>"}[fmt]
    assert line in six


def test_band_and_trend_are_the_measurement_stages():
    # Session 5 rated 4: below the PHQ-9's remission threshold, a fall of over 50%.
    log = LOG.replace(SESSION_5_SCORE, "    score PHQ-9 4 items 1 1 1 0 0 1 0 0 0\n")
    six = documents("md", log)[session_file(6, "md")]
    assert ("`▆▅▅▄▂` 4 at session 5, none or minimal; baseline 19 at session 1: down 15, "
            "reliable improvement, response, remission") in six
    # One score so far is the baseline, and nothing is judged against it.
    one = documents("md", LOG[:LOG.index("  2026-12-14")], dt.date(2026, 12, 9))
    assert "- **PHQ-9 so far:** `▆` 19 at session 1, moderately severe (the baseline)\n" in one[
        session_file(2, "md")]


def test_the_next_agenda_draws_the_scores_so_far_inline():
    six = documents("html")[session_file(6, "html")]
    (spark,) = svgs(six)
    assert spark.attrs["class"] == "spark" and spark.attrs["aria-label"] == "PHQ-9: 19, 17, 15, 13, 12"
    assert len(spark.children("circle")) == len(SCORES) and len(spark.children("polyline")) == 1
    ys = [float(c["cy"]) for c in spark.children("circle")]
    assert ys == sorted(ys)  # each score lower than the one before: drawn lower (larger y)


def test_plain_text_agendas_stay_ascii():
    for name, text in documents("txt", UNASSESSED_RISK).items():
        assert text.isascii(), name
    assert not documents("md")[session_file(6, "md")].isascii()  # Markdown has its blocks


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_box_for_todays_score_where_a_measure_is_due(fmt):
    docs = documents(fmt)
    box = {"md": "- [ ] PHQ-9: Patient Health Questionnaire (depression); score: \\_\\_\\_\\_ (0-27)",
           "txt": "  [ ] PHQ-9: Patient Health Questionnaire (depression); score: [    ] (0-27)",
           "html": '<li><strong>PHQ-9</strong>: Patient Health Questionnaire (depression); '
                   'score: <span class="score-box"></span> (0-27)</li>'}[fmt]
    assert box in docs[session_file(6, fmt)] and box in docs[session_file(12, fmt)]
    # A held session's box holds the score the log records for it.
    held = {"md": "score: 15 (0-27)", "txt": "score: [15] (0-27)",
            "html": 'score: <span class="score-box">15</span> (0-27)'}[fmt]
    assert held in docs[session_file(3, fmt)]


def test_a_box_only_where_a_measure_is_due():
    every_four = REFERENCE.read_text(encoding="utf-8").replace(
        "measure PHQ-9 every session", "measure PHQ-9 every 4 sessions")
    result = load_string(every_four + LOG, "ms-a.iptplan", today=TODAY)
    assert result.ok
    docs = {d.name: d.text for d in render(course_from_result(result), "md")}
    assert "score: \\_\\_\\_\\_ (0-27)" in docs["session-08.md"]
    assert "score:" not in docs["session-06.md"] and "score:" not in docs["session-07.md"]


def test_a_log_without_a_schedule_still_looks_back_and_asks_for_the_score():
    text = REFERENCE.read_text(encoding="utf-8")
    for line in text.split("\n"):
        if line.lstrip().startswith(("schedule ", "skip ")):
            text = text.replace(line + "\n", "")
    result = load_string(text + LOG, "ms-a.iptplan", today=TODAY)
    assert result.ok
    six = {d.name: d.text for d in render(course_from_result(result), "md")}["session-06.md"]
    assert "- **When:** No date: the plan has no schedule, in person\n" in six
    assert "  - Session 6, Monday 25 January 2027: missed (did not attend)\n" in six
    assert "score: \\_\\_\\_\\_ (0-27)" in six


# --- the risk alert -------------------------------------------------------------------

ALERT = ("Risk: at session 5 (2027-01-18) PHQ-9 item 9 was scored 1, and the log records no "
         "risk assessment. Assess risk first.")


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_next_agenda_opens_with_a_risk_alert_for_an_unassessed_risk_item(fmt):
    six = documents(fmt, UNASSESSED_RISK)[session_file(6, fmt)]
    if fmt == "md":
        assert six.split("\n\n")[1] == f"> **{ALERT}**"  # right under the title
    elif fmt == "txt":
        title, rule, alert = six.split("\n\n")[0].split("\n", 2)
        assert (title, rule) == ("SESSION 6 OF 16", "=" * 15) and flat(alert) == f"!!! {ALERT}"
    else:
        after_title = DATE_SPAN.sub(r"\1", six[six.index("</h1>\n") + len("</h1>\n"):])
        assert after_title.startswith(f'<p class="risk-alert" role="alert">{ALERT}</p>\n')
    # Only the next session's: the held ones, and the ones after it, have none.
    for other in (5, 7):
        assert "Risk:" not in documents(fmt, UNASSESSED_RISK)[session_file(other, fmt)]


def test_the_alert_is_ipt506s_a_warning_that_never_stops_the_agendas(tmp_path):
    result = logged(UNASSESSED_RISK)
    assert [(d.code, d.severity.name) for d in result.diagnostics] == [("IPT506", "WARNING")]
    assert result.ok
    # From the command line, on the day given: the agendas are written, alert on top.
    plan = tmp_path / "ms-a.iptplan"
    plan.write_text(REFERENCE.read_text(encoding="utf-8") + UNASSESSED_RISK, encoding="utf-8")
    out = tmp_path / "out"
    run = CliRunner().invoke(app, ["render", str(plan), "-o", str(out), "--today",
                                   TODAY.isoformat(), "--jobs", "1"])
    assert run.exit_code == 0, run.output
    (six,) = out.rglob("session-06.md")
    assert six.read_text(encoding="utf-8").split("\n\n")[1] == f"> **{ALERT}**"


def test_no_alert_where_the_risk_was_assessed_or_the_item_is_zero():
    assessed = UNASSESSED_RISK.replace(
        '    homework partly "Wrote down',
        '    risk "Fleeting thoughts of death this week, no plan; safety plan reviewed"\n'
        '    homework partly "Wrote down')
    assert course(assessed).sessions[5].risk_alerts == ()
    # Sessions 1 and 2 scored item 9 too, with their risk lines: the log as it is has none.
    assert course().sessions[5].risk_alerts == ()
    (alert,) = course(UNASSESSED_RISK).sessions[5].risk_alerts
    assert (alert.session, alert.scale, alert.item, alert.score) == (5, "PHQ-9", 9, 1)


def test_the_alert_does_not_cost_the_next_agenda_its_place_on_the_page():
    # The same next agenda, with and without the alert, fits the same pages (below).
    assert_same_pages(course(LOG), course(UNASSESSED_RISK), only={6})


# --- the projected date ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_date_line_shows_the_projected_date_and_the_planned_one_it_moved_from(fmt):
    docs = documents(fmt)
    # Planned for 18 January; session 6 was missed on the 25th and today is the 27th, so
    # the next weekly slot is 1 February.
    six = flat(docs[session_file(6, fmt)])
    assert ("Monday 1 February 2027 (2027-02-01) at 10:00 (projected; planned for 2027-01-18), "
            "50 minutes, in person") in six
    three = flat(docs[session_file(3, fmt)])
    assert "Monday 4 January 2027 (2027-01-04) at 10:00 (held; planned for 2026-12-21)" in three
    one = flat(docs[session_file(1, fmt)])
    assert "Monday 7 December 2026 (2026-12-07) at 10:00 (held), 50 minutes" in one
    if fmt == "html":  # no date breaks across two lines: the When line's, the Log's
        assert DATE_SPAN.findall(docs[session_file(6, fmt)]) == [
            "Monday 1 February 2027", "2027-02-01", "2027-01-18", "Monday 18 January 2027",
            "Monday 25 January 2027"]


def test_owed_sessions_are_never_projected_before_today():
    later = dt.date(2027, 3, 3)  # a Wednesday, five weeks on, with nothing more logged
    sessions = {s.number: s for s in course(today=later).sessions}
    assert sessions[6].date == "2027-03-08" and sessions[6].planned_date == "2027-01-18"
    assert sessions[5].date == "2027-01-18"  # held: stays on the day it was


# --- the overview ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_overview_schedule_says_what_happened_to_each_session(fmt):
    overview = documents(fmt)[f"overview.{fmt}"]
    rows = {
        "md": ["| Session | Date | Phase | Foci | Activities | Log |",
               "| 3 | 2027-01-04 | Initial phase | sister, retirement | Formulation and contract: "
               "Interpersonal formulation, Treatment contract | cancelled 2026-12-21 (client "
               "unwell); held |",
               "| 6 | 2027-02-01 | Middle phase | sister | Role play | missed 2027-01-25 |",
               "| 7 | 2027-02-08 | Middle phase |  | the phase's every-session tasks |  |"],
        # Each date on one line (a date cell that wrapped read "2026-12-" above "21").
        "html": ['Treatment contract<br><span class="log">Log: cancelled <span class="date">'
                 '2026-12-21</span> (client unwell); held</span></td></tr>',
                 '<td>Role play<br><span class="log">Log: missed <span class="date">2027-01-25'
                 '</span></span></td></tr>',
                 '<td class="number">6</td><td><span class="date">2027-02-01</span></td>',
                 "<td>the phase's every-session tasks</td></tr>"],
        "txt": [" 3  2027-01-04  Initial phase | sister, retirement",
                "                Log: cancelled 2026-12-21 (client unwell); held",
                " 6  2027-02-01  Middle phase | sister\n                Role play\n"
                "                Log: missed 2027-01-25\n"],
    }[fmt]
    for row in rows:
        assert row in overview
    summary = ("5 held, 1 cancelled, 1 missed; last session projected for 2027-04-12 (planned "
               "for 2027-03-29)")
    assert summary in flat(overview)


@pytest.mark.parametrize("fmt", ["md", "txt"])
def test_the_overview_gives_each_scale_as_a_sparkline_with_its_bands(fmt):
    overview = documents(fmt)[f"overview.{fmt}"]
    spark = {"md": "`▆▅▅▄▄`", "txt": "*++=="}[fmt]
    assert (f"PHQ-9{'**' if fmt == 'md' else ''} {spark} 19, 17, 15, 13, 12 at sessions 1, 2, "
            "3, 4, 5; latest 12 at session 5, moderate; baseline 19 at session 1: down 7, "
            "reliable improvement (bands: 0-4 none or minimal, 5-9 mild, 10-14 moderate, 15-19 "
            "moderately severe, 20-27 severe)") in flat(overview)


class _Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag, self.attrs = tag, attrs
        self.inside: list[_Element] = []  # every element within, in order
        self.text: list[str] = []  # the text directly within

    def children(self, tag: str) -> list[dict[str, str | None]]:
        return [e.attrs for e in self.inside if e.tag == tag]

    def texts(self, tag: str) -> list[str]:
        return ["".join(e.text) for e in self.inside if e.tag == tag]


class _Svgs(HTMLParser):
    """The page's <svg> elements, each with every element and text inside it, as a
    browser would build them (entities unescaped)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.svgs: list[_Element] = []
        self.open: list[_Element] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        element = _Element(tag, dict(attrs))
        if tag == "svg":
            self.svgs.append(element)
        elif self.svgs and self.open:
            self.svgs[-1].inside.append(element)
        if self.svgs and (self.open or tag == "svg"):
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.open:
            assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
            self.open.pop()

    def handle_data(self, data):
        if self.open:
            self.open[-1].text.append(data)


def svgs(html: str) -> list[_Element]:
    parser = _Svgs()
    parser.feed(html)
    assert parser.open == []
    return parser.svgs


def test_the_overview_charts_each_score_as_a_point_over_the_bands():
    overview = documents("html")["overview.html"]
    (chart,) = svgs(overview)
    assert chart.attrs["class"] == "chart" and chart.attrs["viewbox"].startswith("0 0 ")
    circles = chart.children("circle")
    assert len(circles) == len(SCORES)  # one point per score
    assert chart.texts("title") == ["PHQ-9: Patient Health Questionnaire (depression)"] + [
        f"Session {n}: {total}" for n, total in zip(range(1, 6), SCORES)]
    xs, ys = [float(c["cx"]) for c in circles], [float(c["cy"]) for c in circles]
    assert xs == sorted(xs) and ys == sorted(ys)  # later to the right; lower scores lower
    # Sessions across the whole course, 1 to 16, so that the sessions to come have room.
    sessions = [t for t in chart.texts("text") if t.isdigit()]
    assert "16" in sessions and max(xs) < float(chart.attrs["viewbox"].split()[2]) / 2
    # Each band shaded, severe darker than mild, and labelled.
    bands = chart.children("rect")
    assert len(bands) == 5
    shades = [float(b["fill-opacity"]) for b in bands]
    assert shades == sorted(shades) and shades[0] < shades[-1]
    assert "15-19 moderately severe" in chart.texts("text")
    moderate = next(b for b in bands if float(b["y"]) < ys[-1] < float(b["y"]) + float(b["height"])
                    and float(b["y"]) < ys[-2] < float(b["y"]) + float(b["height"]))
    assert bands.index(moderate) == 2  # 13 and 12 are drawn in the moderate band


def test_the_chart_is_self_contained_and_its_texts_escaped(tmp_path):
    label = 'low <b>"&\' mood'
    (tmp_path / "catalogue.toml").write_text(
        '[measures.OUR-4]\nlabel = "Our <script>alert(1)</script> scale"\nitems = 4\n'
        'low = 0\nhigh = 12\nrater = "self"\nsource = "the clinic"\n'
        'bands = [[0, 5, "low <b>\\"&\' mood"], [6, 12, "high"]]\n', encoding="utf-8")
    log = LOG.replace(SESSION_5_SCORE, SESSION_5_SCORE + "    score OUR-4 7\n").replace(
        "    score PHQ-9 13 items", "    score OUR-4 9\n    score PHQ-9 13 items")
    overview = documents("html", log, protocol_dirs=[tmp_path])["overview.html"]
    phq, ours = svgs(overview)
    assert len(phq.children("circle")) == 5 and len(ours.children("circle")) == 2
    assert f"0-5 {label}" in ours.texts("text")  # read back as written: it was escaped
    assert "b" not in {e.tag for e in ours.inside} and "script" not in {e.tag for e in ours.inside}
    assert ours.texts("title")[0] == "OUR-4: Our <script>alert(1)</script> scale"
    for svg in (phq, ours):
        for element in svg.inside:
            assert not any(a.startswith("on") or a in ("href", "xlink:href", "src", "style")
                           for a in element.attrs), element.tag
    for external in ("<script", "http://", "https://", "<link", "@import", "url("):
        assert external not in overview


def test_every_html_page_of_a_plan_with_a_log_is_whole_and_self_contained():
    from test_render import _Balance

    for name, html in documents("html", UNASSESSED_RISK).items():
        parser = _Balance()
        parser.feed(html)
        assert parser.open == [], name
        for external in ("http://", "https://", "<link", "<script", "src=", "@import", "url("):
            assert external not in html, (name, external)


def test_a_plan_without_scores_has_no_chart():
    no_scores = "\n".join(line for line in LOG.split("\n") if "score " not in line)
    overview = documents("html", no_scores)["overview.html"]
    assert svgs(overview) == [] and "<h2>Scores</h2>" not in overview
    assert "<h2>Scores</h2>" not in documents("html", "\n")["overview.html"]


# --- plans without a log --------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_plan_without_a_log_does_not_depend_on_the_day(fmt):
    text = REFERENCE.read_text(encoding="utf-8")
    plain = course_from_result(load_string(text, "ms-a.iptplan", today=TODAY))
    assert plain.log is None and plain.planned_end is None and plain.scores == ()
    assert all(s.date_status is None and s.since_last == () and s.planned_date is None
               and s.scores == () and s.risk_alerts == () for s in plain.sessions)
    far = course_from_result(load_string(text, "ms-a.iptplan", today=dt.date(2031, 5, 5)))
    documents = [d.text for d in render(plain, fmt)]
    assert documents == [d.text for d in render(far, fmt)]
    assert not any("score:" in d or "Log" in d or "<svg" in d for d in documents)


def test_an_empty_log_projects_the_course_from_today_and_reports_nothing_held():
    empty = course("\nlog\n", today=dt.date(2026, 12, 9))  # two days after the planned start
    first = empty.sessions[0]
    assert first.date == "2026-12-14" and first.planned_date == "2026-12-07"
    assert first.since_last == () and first.date_status == "projected" and first.scores == ()
    overview = render(empty, "md")[0].text
    assert "- **Log:** 0 held, 0 cancelled, 0 missed" in overview


def test_build_course_takes_the_day_too():
    result = logged()
    plan, graph = result.checked_plan("agendas")
    built = build_course(plan, result.profile, result.catalogue, graph, TODAY)
    assert built == course()


# --- printed pages --------------------------------------------------------------------


def page_counts(course_, size: str, only: set[int] | None = None) -> dict[str, int]:
    import weasyprint  # a test dependency: it lays out and paginates HTML as print does
    paper = weasyprint.CSS(string=f"@page {{ size: {size}; }}")
    return {d.name: len(weasyprint.HTML(string=d.text).render(stylesheets=[paper]).pages)
            for d, s in zip(render(course_, "html")[1:], course_.sessions)
            if only is None or s.number in only}


def assert_same_pages(before, after, only: set[int] | None = None) -> None:
    for size in ("A4", "Letter"):
        assert page_counts(after, size, only) == page_counts(before, size, only), size


def test_the_log_keeps_the_page_count_of_every_agenda_but_the_next():
    # The session agendas of Ms. A's plan print on as many A4 and Letter pages with the
    # log as without it, or fewer: the log's lines sit among the header's facts. The next session's
    # agenda gains what happened since the last one and the scores so far, and may need
    # a page more (Ms. A's session 6 does): that agenda is not compared.
    without = course_from_result(load_string(REFERENCE.read_text(encoding="utf-8"),
                                             "ms-a.iptplan", today=TODAY))
    logged_course = course()
    others = {s.number for s in logged_course.sessions if not s.since_last}
    assert len(others) == len(logged_course.sessions) - 1
    for size in ("A4", "Letter"):
        before, after = page_counts(without, size, others), page_counts(logged_course, size, others)
        assert before.keys() == after.keys()
        # never longer (the log's closer footer can save a page)
        assert [name for name in after if after[name] > before[name]] == [], size


# --- the chart's geometry -------------------------------------------------------------


def test_chart_geometry_keeps_points_inside_and_bands_meeting():
    from ipt_plan import charts

    plot = charts.plot([(1, 0), (2, 27)], 0, 27, 1, 1 + 1, [(0, 9, "low"), (10, 27, "high")])
    (bottom, top) = plot.points
    assert plot.left < bottom.x < top.x < plot.right  # in their slots, clear of the axes
    assert (bottom.y, top.y) == (plot.bottom, plot.top)
    low, high = plot.bands
    assert high.y == plot.top and round(high.y + high.height, 1) == low.y
    assert round(low.y + low.height, 1) == plot.bottom
    one = charts.plot([(3, 5)], 0, 10, 3, 3)  # a course of one session
    assert one.points[0].x == round((one.left + one.right) / 2, 1)
    assert [t.value for t in one.sessions] == [3]
    many = charts.plot([], 0, 10, 1, 40)
    assert len(many.sessions) <= 17 and many.sessions[-1].value == 40
    assert charts.sparkline([0, 27, 13], 0, 27) == "▁█▄"
    assert charts.sparkline([0, 27, 13], 0, 27, charts.ASCII) == "_@="
