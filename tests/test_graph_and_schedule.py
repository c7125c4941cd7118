from __future__ import annotations

import datetime as dt

from ipt_plan import load_file, load_string
from ipt_plan.graph import edges_of, nodes_of
from ipt_plan.schedule import course_weeks, session_dates
from conftest import REFERENCE


def test_graph_holds_every_session_and_the_edges_rules_walk():
    plan = load_file(REFERENCE).plan
    g = plan.graph
    assert g is plan.graph  # built once, kept on the plan
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
