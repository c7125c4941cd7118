from __future__ import annotations

import datetime as dt

from ipt_plan import load_file, load_string
from ipt_plan.graph import edges_of, nodes_of
from ipt_plan.schedule import course_weeks, session_dates
from conftest import REFERENCE


def test_the_graph_is_built_with_the_catalogue_it_is_given():
    """The graph, the rules and the agendas use one catalogue: a caller's, when given."""
    from ipt_plan.agenda import build_course
    from ipt_plan.graph import build_graph
    from ipt_plan.knowledge import catalogue

    standard = catalogue()
    grief_only = standard._replace(techniques={
        name: t._replace(area="grief") if name == "mourn_old_role" else t
        for name, t in standard.techniques.items()})
    implied_line = 'plan "x"\nfocus r: role_transition "y"\nphase middle sessions 1-2\n  session 1\n    mourn_old_role\n'
    bare = load_string(implied_line).plan
    activity = next(n for n in nodes_of(build_graph(bare, standard), "activity"))
    assert build_graph(bare, standard).nodes[activity]["foci"] == ["r"]
    assert build_graph(bare, grief_only).nodes[activity]["foci"] == []
    course = build_course(bare, None, grief_only)
    assert [i.foci for s in course.sessions for i in s.techniques] == [()]


def test_graph_holds_every_session_and_the_edges_rules_walk():
    result = load_file(REFERENCE)
    g = result.graph  # built once, in the check, kept on its result
    sessions = sorted(n[1] for n in nodes_of(g, "session"))
    assert sessions == list(range(1, 17))
    # next edges chain the whole course in order
    chain = [("session", 1)]
    while nxt := edges_of(g, chain[-1], "next"):
        chain.extend(nxt)
    assert [n[1] for n in chain] == list(range(1, 17))
    # the `every session` block is one node contained by each of the ten middle sessions
    every = [n for n in nodes_of(g, "activity") if g.nodes[n]["every"]]
    assert len(every) == 2
    assert sorted(p[1] for p, _ in g.in_edges(every[0])) == list(range(4, 14))
    # role play (line 43) requires the analysis for the same focus
    role_play = ("activity", 43)
    assert g.nodes[role_play]["obj"].name.text == "role_play"
    required = edges_of(g, role_play, "requires")
    assert [g.nodes[r]["obj"].name.text for r in required] == ["communication_analysis"]
    assert edges_of(g, role_play, "addresses") == [("focus", "sister")]


def test_skip_moves_later_sessions_one_slot_on():
    dates = session_dates(load_file(REFERENCE).plan)
    assert dates[3] == dt.datetime(2026, 12, 21, 10, 0)
    assert dates[4] == dt.datetime(2027, 1, 4, 10, 0)   # 2026-12-28 skipped
    assert dates[6].date().isoformat() == "2027-01-18"
    assert dates[16].date().isoformat() == "2027-03-29"
    assert course_weeks(dates) == 17


def _schedule_plan(line: str) -> str:
    return f'plan "t"\n{line}\nphase initial sessions 1-4\n'


def test_cadences():
    def dates(line):
        plan = load_string(_schedule_plan(line)).plan
        return [d.date().isoformat() for _, d in sorted(session_dates(plan).items())]

    assert dates("schedule twice weekly from 2027-01-04 at 09:00 for 50 min") == [
        "2027-01-04", "2027-01-07", "2027-01-11", "2027-01-14"]
    assert dates("schedule every 2 weeks from 2027-01-04 at 09:00 for 50 min") == [
        "2027-01-04", "2027-01-18", "2027-02-01", "2027-02-15"]
    assert dates("schedule monthly from 2027-01-31 at 09:00 for 50 min") == [
        "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]
