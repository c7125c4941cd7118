"""`ipt-plan graph`: the plan graph the rules walk (``ipt_plan.graph``), drawn as Graphviz
DOT or as a Mermaid flowchart, which GitHub and many note tools render from Markdown.

What is drawn, in both formats:
  a box per phase, holding its sessions in order and the activities written under them;
  a phase's `every session` activities once, in a box of their own inside the phase;
  session -> activity   the activities each session holds
  session => session    `next`: the course in order (bold)
  activity -o focus     `addresses`: the focus an activity works on
  activity -> activity  `requires`: the earlier activity that meets its prerequisite (dashed)
Foci are hexagons, activities rounded, sessions boxes; a session of a phase's range that
the plan does not write out is drawn dashed. A session shows what its own line says of who
attends and how it is held; a focus its dispute's stages with the session each holds from,
or the date of the death it mourns. The plan and phase nodes of the graph become
the drawing's title and boxes.

Text from the plan is escaped for each format, so quotes, backslashes, `<script>` or any
other text in a title is shown as written and never read as markup.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from .graph import activity_node, build_graph, edges_of
from .knowledge import Catalogue, catalogue
from .model import Activity, Focus, Plan, Session
from .result import Result
from .schedule import DELIVERY_LABELS, participant_label

if TYPE_CHECKING:
    from .graph import PlanGraph


class _Box(NamedTuple):
    """One phase, with what is drawn inside it."""

    id: str
    label: str
    sessions: tuple[tuple, ...]  # graph nodes, in course order
    activities: tuple[tuple, ...]  # graph nodes of the activities written in sessions
    every: tuple[tuple, ...]  # graph nodes of the `every session` activities


class _Edge(NamedTuple):
    tail: tuple
    head: tuple
    kind: str  # contains | next | addresses | requires


class Drawing(NamedTuple):
    """What both formats draw, taken from the plan's graph."""

    title: str
    boxes: tuple[_Box, ...]
    foci: tuple[tuple, ...]
    edges: tuple[_Edge, ...]
    labels: dict[tuple, tuple[str, ...]]  # node -> its label, one string a line
    unwritten: frozenset[tuple]  # sessions not written out in the plan


def node_id(node: tuple) -> str:
    """A name safe in both formats: s4 (session), a37 (activity on line 37), f_sister."""
    kind = node[0]
    if kind == "session":
        return f"s{node[1]}"
    if kind == "activity":
        return f"a{node[1]}"
    if kind == "focus":
        return f"f_{node[1]}"
    return f"p{node[1]}"


def _phase_label(phase_kind: str, first: int, last: int, cat: Catalogue) -> str:
    info = cat.phases.get(phase_kind)
    name = info.label if info else f"{phase_kind.capitalize()} phase"
    sessions = f"session {first}" if first == last else f"sessions {first}-{last}"
    return f"{name}: {sessions}"


def _focus_label(focus: Focus, cat: Catalogue) -> tuple[str, ...]:
    """sister / Role dispute (impasse; renegotiation from session 7); a grief focus with
    the date of the death on a line of its own."""
    area = cat.areas.get(focus.area.text)
    area_text = area.label if area else focus.area.text
    if focus.stages:
        area_text += " (" + "; ".join(
            stage.name.text + (f" from session {stage.first}" if stage.from_session else "")
            for stage in focus.stages) + ")"
    died = (f"died {focus.died.text}",) if focus.died else ()
    return (focus.id.text, area_text, *died)


def _session_label(session: Session, cat: Catalogue) -> tuple[str, ...]:
    """Session 8 / its title / what its line says of who attends and how: with parent;
    by video; group; 90 min."""
    heading = f"Session {session.number}"
    how = []
    if session.participants:
        how.append("with " + ", ".join(participant_label(w.text, cat)
                                       for w in session.participants))
    if session.delivery is not None:
        how.append(DELIVERY_LABELS[session.delivery.text])
    if session.format is not None:
        how.append(session.format.text)
    if session.minutes is not None:
        how.append(f"{session.minutes} min")
    return (heading, *filter(None, (session.title, "; ".join(how))))


def drawing(plan: Plan, cat: Catalogue | None = None, graph: PlanGraph | None = None) -> Drawing:
    """The boxes and arrows of a plan's graph (the check's, or one built with `cat`)."""
    cat = cat or catalogue()
    graph = graph or build_graph(plan, cat)
    labels: dict[tuple, tuple[str, ...]] = {}
    unwritten: set[tuple] = set()
    boxes = []
    edges: list[_Edge] = []
    for index, phase in enumerate(plan.phases):
        sessions = [node for node in edges_of(graph, ("phase", index), "contains")]
        sessions.sort(key=lambda node: node[1])
        written: list[tuple] = []
        for node in sessions:
            session: Session = graph.nodes[node]["obj"]
            labels[node] = _session_label(session, cat)
            if session.loc is None:
                unwritten.add(node)
            for target, data in graph.adj[node].items():
                kind = data["kind"]
                if kind == "next":
                    edges.append(_Edge(node, target, kind))
                elif kind == "contains" and not data.get("every"):
                    written.append(target)
                    edges.append(_Edge(node, target, kind))
        every = [activity_node(a) for a in phase.every]
        for node in written + every:
            activity: Activity = graph.nodes[node]["obj"]
            labels[node] = (activity.name.text,)
        boxes.append(_Box(node_id(("phase", index)),
                          _phase_label(phase.kind, phase.first, phase.last, cat),
                          tuple(sessions), tuple(written), tuple(every)))
    foci = []
    for focus in plan.foci:
        node = ("focus", focus.id.text)
        foci.append(node)
        labels[node] = _focus_label(focus, cat)
    for tail, head, kind in graph.edges(data="kind"):
        if kind in ("addresses", "requires"):
            edges.append(_Edge(tail, head, kind))
    return Drawing(plan.title or plan.path, tuple(boxes), tuple(foci), tuple(edges), labels,
                   frozenset(unwritten))


class _Syntax(NamedTuple):
    """How one format writes each part of a drawing; `_write` walks the parts once."""

    head: Callable[[Drawing], list[str]]
    open_box: Callable[[str, str, bool, str], list[str]]  # id, label, every?, indent
    close_box: Callable[[str], str]  # indent
    node: Callable[[Drawing, tuple, str], str]  # drawing, node, indent
    edge: Callable[[_Edge], str]
    tail: list[str]


def _write(d: Drawing, syntax: _Syntax) -> str:
    out = syntax.head(d)
    for box in d.boxes:
        out += syntax.open_box(box.id, box.label, False, "  ")
        out += [syntax.node(d, node, "    ") for node in box.sessions + box.activities]
        if box.every:
            out += syntax.open_box(f"{box.id}_every", "every session", True, "    ")
            out += [syntax.node(d, node, "      ") for node in box.every]
            out.append(syntax.close_box("    "))
        out.append(syntax.close_box("  "))
    out += [syntax.node(d, node, "  ") for node in d.foci]
    out += [syntax.edge(edge) for edge in d.edges]
    return "\n".join(out + syntax.tail) + "\n"


# --- Graphviz DOT ---------------------------------------------------------------------

def _dot_text(text: str) -> str:
    """Inside a DOT string: backslashes and quotes escaped (a backslash would otherwise
    start one of DOT's label escapes, such as \\N for the node's name), and `&` written
    as an entity, since Graphviz reads entities such as &amp; in any label."""
    text = "".join(c if c.isprintable() else " " for c in text)
    return text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')


def _dot_label(lines: tuple[str, ...] | list[str]) -> str:
    return '"' + "\\n".join(_dot_text(line) for line in lines) + '"'


DOT_NODE_STYLE = {
    "session": 'shape=box, style=filled, fillcolor="#e8f0fb"',
    "unwritten": 'shape=box, style=dashed, fontcolor="#555555"',
    "activity": 'shape=box, style="rounded,filled", fillcolor="#ffffff", fontsize=11',
    "focus": 'shape=hexagon, style=filled, fillcolor="#fde9c9"',
}
DOT_EDGE_STYLE = {
    "contains": 'color="#666666"',
    "next": "style=bold",
    "addresses": 'arrowhead=odot, color="#b26b00"',
    "requires": 'style=dashed, label="requires", fontsize=10',
}


def _dot_node(d: Drawing, node: tuple, indent: str) -> str:
    style = DOT_NODE_STYLE["unwritten" if node in d.unwritten else node[0]]
    return f'{indent}"{node_id(node)}" [label={_dot_label(d.labels[node])}, {style}];'


DOT = _Syntax(
    head=lambda d: ["digraph plan {", f"  label={_dot_label([d.title])};",
                    '  labelloc=t; fontname="Helvetica"; newrank=true;',
                    '  node [fontname="Helvetica"]; edge [fontname="Helvetica"];'],
    open_box=lambda box_id, label, every, indent: [
        f'{indent}subgraph "cluster_{box_id}" {{',
        f'{indent}  label={_dot_label([label])}; style="{"rounded,dashed" if every else "rounded"}";'
        + ("" if every else ' color="#7a8ca5";')],
    close_box=lambda indent: f"{indent}}}",
    node=_dot_node,
    edge=lambda e: f'  "{node_id(e.tail)}" -> "{node_id(e.head)}" [{DOT_EDGE_STYLE[e.kind]}];',
    tail=["}"],
)


def to_dot(plan: Plan, cat: Catalogue | None = None, graph: PlanGraph | None = None) -> str:
    return _write(drawing(plan, cat, graph), DOT)


# --- Mermaid --------------------------------------------------------------------------

# Mermaid reads #NUMBER; as a character, so every character that could end a label or be
# read as markup (HTML labels) is written that way; `#` too, so that text such as
# "#quot;" in a plan is shown as written.
_MERMAID_ESCAPES = str.maketrans({c: f"#{ord(c)};" for c in '#"<>&`'})


def _mermaid_text(text: str) -> str:
    text = "".join(c if c.isprintable() else " " for c in text)
    return text.translate(_MERMAID_ESCAPES)


def _mermaid_label(lines: tuple[str, ...] | list[str]) -> str:
    return '"' + "<br/>".join(_mermaid_text(line) for line in lines) + '"'


MERMAID_SHAPE = {"session": "[{}]", "activity": "([{}])", "focus": "{{{{{}}}}}"}
MERMAID_ARROW = {"contains": "-->", "next": "==>", "addresses": "--o",
                 "requires": "-.->|requires|"}


def _mermaid_node(d: Drawing, node: tuple, indent: str) -> str:
    shape = MERMAID_SHAPE[node[0]].format(_mermaid_label(d.labels[node]))
    return f"{indent}{node_id(node)}{shape}{':::unwritten' if node in d.unwritten else ''}"


MERMAID = _Syntax(
    # The title goes in the front matter, as YAML (a JSON string is a YAML string);
    # Mermaid shows it as plain text.
    head=lambda d: ["---", f"title: {json.dumps(d.title, ensure_ascii=False)}", "---",
                    "flowchart TD"],
    open_box=lambda box_id, label, every, indent: (
        [f"{indent}subgraph {box_id} [{_mermaid_label([label])}]"]
        + ([] if every else [f"{indent}  direction TB"])),
    close_box=lambda indent: f"{indent}end",
    node=_mermaid_node,
    edge=lambda e: f"  {node_id(e.tail)} {MERMAID_ARROW[e.kind]} {node_id(e.head)}",
    tail=["  classDef unwritten stroke-dasharray: 4 4, color:#555555"],
)


def to_mermaid(plan: Plan, cat: Catalogue | None = None, graph: PlanGraph | None = None) -> str:
    """A `flowchart TD`, to paste into a ```mermaid block of a Markdown file."""
    return _write(drawing(plan, cat, graph), MERMAID)


FORMATS = {"dot": to_dot, "mermaid": to_mermaid}


def draw(result: Result, fmt: str = "mermaid") -> str:
    """A checked plan in one of FORMATS; one with errors raises result.PlanHasErrors."""
    plan, graph = result.checked_plan("drawing")
    return FORMATS[fmt](plan, graph=graph)
