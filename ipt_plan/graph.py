"""The plan graph: the plan as a networkx graph, which the rules walk.

Nodes (a tuple id, with `kind` and, but for the plan node, the model object in `obj`; see
build_graph for the activity nodes' other attributes):
  ("plan",)                 the plan
  ("phase", index)          a phase, in the order written
  ("session", number)       every session of the course, written out or not
  ("focus", id)             a problem area the plan works on
  ("activity", line)        one activity line; an `every session` line is one node
                            contained by every session of its phase
Edges (attribute `kind`):
  contains    plan -> phase, plan -> focus, phase -> session, session -> activity
  next        session -> the following session of the course
  addresses   activity -> focus it works on (named with `for`, or implied; see catalogue)
  requires    activity -> the earlier activity that meets its prerequisite, with the
              set of foci (`foci`; None for a line that names none) it meets it for
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .knowledge import Catalogue
from .model import Activity, Plan

if TYPE_CHECKING:
    import networkx as nx

    PlanGraph = nx.DiGraph

# A node's id: ("plan",), ("phase", index), ("session", number), ("focus", id) or
# ("activity", line).
Node = tuple[str] | tuple[str, int] | tuple[str, str]

PLAN: Node = ("plan",)


def activity_node(activity: Activity) -> Node:
    return ("activity", activity.loc.line)


def _implied_foci(activity: Activity, plan: Plan, cat: Catalogue) -> list[str]:
    if activity.foci:
        return [w.text for w in activity.foci if plan.focus(w.text) is not None]
    technique = cat.techniques.get(activity.name.text)
    if technique is None:
        return []
    if technique.area:
        return [f.id.text for f in plan.foci if f.area.text == technique.area]
    if technique.default_focus == "all" or (technique.default_focus == "single"
                                            and len(plan.foci) == 1):
        return [f.id.text for f in plan.foci]
    return []


def build_graph(plan: Plan, cat: Catalogue) -> PlanGraph:
    """The plan's graph, its implied foci and prerequisites read from `cat`, the same
    catalogue the rules are given."""
    import networkx as nx  # here, so that listing rules does not pay for importing it

    # Nodes and edges are all gathered first and added in two calls: networkx's per-call
    # overhead was most of the time of building the graph. Edges are added in the order
    # the rules have always seen them: the plan's structure, then `addresses`, then
    # `requires`.
    # The graph is read through its adjacency (succ, pred), never through networkx's edge
    # views, which refer back to it: a reference cycle is freed only by the cyclic
    # collector (1.4 s for the million objects of a 10,000-session plan), which check and
    # render run without (collector.py).
    nodes: list[tuple[Node, dict]] = [(PLAN, {"kind": "plan"})]
    edges: list[tuple[Node, Node, dict]] = []
    for focus in plan.foci:
        nodes.append((("focus", focus.id.text), {"kind": "focus", "obj": focus}))
        edges.append((PLAN, ("focus", focus.id.text), {"kind": "contains"}))

    previous = None
    seen_sessions: set[int] = set()
    order: list[tuple[int, int, Activity]] = []  # (first session, line, activity)
    # Each activity node also keeps the ids of the foci it addresses (`foci`) and, for a
    # technique with a prerequisite, those for which it is met (`met`): rules read them on
    # every activity, and node attributes are far cheaper to read than edge views.
    addressed: dict[Node, list[str]] = {}
    met: dict[Node, set[str | None]] = {}
    addresses: list[tuple[Node, Node, dict]] = []

    def add_activity(activity: Activity, phase, every: bool, first_session: int) -> Node:
        node = activity_node(activity)
        addressed[node] = foci = _implied_foci(activity, plan, cat)
        met[node] = set()
        nodes.append((node, {"kind": "activity", "obj": activity, "phase": phase.kind,
                             "every": every, "first_session": first_session, "foci": foci,
                             "met": met[node]}))
        addresses.extend((node, ("focus", focus_id), {"kind": "addresses"}) for focus_id in foci)
        order.append((first_session, activity.loc.line, activity))
        return node

    def add_session(phase_node: Node, phase, session, **extra) -> Node:
        node = ("session", session.number)
        if session.number not in seen_sessions:
            seen_sessions.add(session.number)
            nodes.append((node, {"kind": "session", "obj": session, "phase": phase.kind,
                                 "number": session.number, **extra}))
        edges.append((phase_node, node, {"kind": "contains"}))
        for activity in session.activities:
            edges.append((node, add_activity(activity, phase, False, session.number),
                          {"kind": "contains"}))
        return node

    for index, phase in enumerate(plan.phases):
        phase_node: Node = ("phase", index)
        nodes.append((phase_node, {"kind": "phase", "obj": phase}))
        edges.append((PLAN, phase_node, {"kind": "contains"}))
        every_nodes = [add_activity(activity, phase, True, phase.first) for activity in phase.every]
        for session in phase.course():
            node = add_session(phase_node, phase, session)
            if previous is not None and previous != node:
                edges.append((previous, node, {"kind": "next"}))
            previous = node
            edges.extend((node, target, {"kind": "contains", "every": True})
                         for target in every_nodes)
        # A session written outside its phase's range (IPT102) is still checked by the
        # other rules, as part of the phase it was written in, but it is not on the course.
        for session in phase.sessions:
            if session.number not in phase.numbers:
                add_session(phase_node, phase, session, outside=True)

    # Prerequisites: link each activity to the first earlier one that satisfies it, per focus.
    order.sort(key=lambda item: (item[0], item[1]))
    requires: dict[tuple[Node, Node], set[str | None]] = {}  # edge -> the foci it is for
    seen: dict[tuple[str, str | None], Node] = {}  # (technique, focus) -> first activity node
    for _, _, activity in order:
        node = activity_node(activity)
        foci = addressed[node]
        technique = cat.techniques.get(activity.name.text)
        if technique and technique.after_any:
            for key_focus in foci or [None]:
                for prerequisite in technique.after_any:
                    earlier = seen.get((prerequisite, key_focus))
                    if earlier is not None:
                        met[node].add(key_focus)
                        requires.setdefault((node, earlier), set()).add(key_focus)
                        break
        for focus_id in foci:
            seen.setdefault((activity.name.text, focus_id), node)
        seen.setdefault((activity.name.text, None), node)

    graph = nx.DiGraph()
    # Plain nodes, then their attributes: add_nodes_from pays for an exception per
    # (node, attributes) pair.
    graph.add_nodes_from(node for node, _ in nodes)
    attributes = graph.nodes
    for node, values in nodes:
        attributes[node].update(values)
    graph.add_edges_from(edges)
    graph.add_edges_from(addresses)
    graph.add_edges_from((node, earlier, {"kind": "requires", "foci": foci})
                         for (node, earlier), foci in requires.items())
    return graph


def edges_of(graph: PlanGraph, node: Node, kind: str) -> list[Node]:
    """The nodes `node` points to by edges of this kind."""
    return [target for target, attrs in graph.succ[node].items() if attrs["kind"] == kind]


def nodes_of(graph: PlanGraph, kind: str) -> list[Node]:
    return [node for node, k in graph.nodes(data="kind") if k == kind]
