"""`ipt-plan graph`: DOT read back with pydot and Mermaid read back line by line, each
compared with the plan graph the rules walk; text from the plan escaped in both."""

from __future__ import annotations

import json
import re
from collections import Counter

import pydot
import pytest
from typer.testing import CliRunner

from conftest import PLANS, REFERENCE
from ipt_plan.graph import build_graph
from ipt_plan.knowledge import catalogue
from ipt_plan import load_file, load_string
from ipt_plan.cli import app
from ipt_plan.drawing import node_id, to_dot, to_mermaid

BUNDLED = sorted(PLANS.glob("*.iptplan"))
# pydot takes half a second a plan; these three have every kind of phase between them
# (Mermaid, drawn from the same records, is read back for every bundled plan).
READ_BACK_WITH_PYDOT = [REFERENCE, PLANS / "group-loneliness-isolation.iptplan",
                        PLANS / "maintenance-recurrent-depression.iptplan"]
runner = CliRunner()
# pydot (a test-only reader) still calls pyparsing names that pyparsing 3.3 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:.setParseAction. deprecated")

# Everything a label could be confused by: quotes, a backslash, markup, entities, Mermaid's
# own escapes, a backtick, and text that is not ASCII.
NASTY_TITLE = 'Zoë "Z" <script>alert(1)</script> & &amp; #quot; `x` \\N end\\'
NASTY_PLAN = f'''plan "{NASTY_TITLE.replace(chr(92), chr(92) * 2).replace('"', chr(92) + '"')}"
  client A-1
  schedule weekly from 2026-12-07 at 10:00 for 50 min

focus end: grief "x"
  died 2026-02
  goal "g"

phase initial sessions 1-3
  session 1 "<b>Łódź</b> \\"q\\""
    psychoeducation
    sick_role
  session 2
    interpersonal_inventory
  session 3
    formulation
    treatment_contract

phase middle sessions 4-13
  every session
    symptom_review
  session 4
    facilitate_mourning
    communication_analysis
    role_play

phase termination sessions 14-16
  session 14
    termination_discussion
  session 16
    relapse_prevention
'''


def nasty_plan():
    result = load_string(NASTY_PLAN, "nasty.iptplan")
    assert result.ok, result.diagnostics
    assert result.plan.title == NASTY_TITLE
    return result.plan


def expected(plan):
    """The nodes and edges a drawing must show, counted from the graph itself."""
    graph = build_graph(plan, catalogue())
    nodes = {node_id(n) for n, kind in graph.nodes(data="kind")
             if kind in ("session", "focus", "activity")}
    edges = Counter()
    for tail, head, data in graph.edges(data=True):
        if tail[0] == "session" and data["kind"] == "contains" and data.get("every"):
            continue  # an `every session` activity is drawn once, in its own box
        if tail[0] in ("session", "activity"):
            edges[(node_id(tail), node_id(head), data["kind"])] += 1
    return nodes, edges


# --- DOT, read back by pydot --------------------------------------------------------------

def dot_nodes_and_clusters(graph):
    nodes, clusters = [], []
    for node in graph.get_nodes():
        if node.get_name() not in ("node", "edge", "graph"):  # default-attribute lines
            nodes.append(node.get_name().strip('"'))
    for sub in graph.get_subgraphs():
        clusters.append(sub.get_name().strip('"'))
        inner_nodes, inner_clusters = dot_nodes_and_clusters(sub)
        nodes += inner_nodes
        clusters += inner_clusters
    return nodes, clusters


def dot_string(value: str) -> str:
    """A DOT label as the reader sees it: quotes, escapes and entities undone."""
    return (value[1:-1].replace('\\"', '"').replace("\\\\", "\\").replace("&amp;", "&"))


@pytest.mark.parametrize("path", READ_BACK_WITH_PYDOT, ids=lambda p: p.name)
def test_dot_parses_back_to_the_plan_graph(path):
    plan = load_file(path).plan
    (graph,) = pydot.graph_from_dot_data(to_dot(plan))
    nodes, clusters = dot_nodes_and_clusters(graph)
    want_nodes, want_edges = expected(plan)
    assert sorted(nodes) == sorted(want_nodes)  # each node drawn once
    edges = [(e.get_source().strip('"'), e.get_destination().strip('"')) for e in graph.get_edges()]
    assert Counter(edges) == Counter({(t, h): n for (t, h, _), n in want_edges.items()})
    assert [c for c in clusters if not c.endswith("_every")] == [
        f"cluster_p{i}" for i in range(len(plan.phases))]
    assert [c for c in clusters if c.endswith("_every")] == [
        f"cluster_p{i}_every" for i, phase in enumerate(plan.phases) if phase.every]
    dashed = {(e.get_source().strip('"'), e.get_destination().strip('"'))
              for e in graph.get_edges() if e.get_style() == "dashed"}
    assert dashed == {(t, h) for t, h, kind in want_edges if kind == "requires"}
    assert dot_string(graph.get_label()) == plan.title


def test_dot_escapes_what_the_plan_says():
    plan = nasty_plan()
    text = to_dot(plan)
    (graph,) = pydot.graph_from_dot_data(text)
    assert dot_string(graph.get_label()) == NASTY_TITLE
    session_1 = next(n for n in graph.get_subgraphs()[0].get_nodes() if n.get_name() == '"s1"')
    assert dot_string(session_1.get_label()) == 'Session 1\\n<b>Łódź</b> "q"'
    assert '"f_end"' in text and "shape=hexagon" in text  # a focus called end is no keyword
    nodes, _ = dot_nodes_and_clusters(graph)
    assert sorted(nodes) == sorted(expected(plan)[0])


# --- Mermaid, read back line by line ---------------------------------------------------------

NODE = re.compile(r'^\s*(\w+)(\[|\(\[|\{\{)"([^"]*)"(\]|\]\)|\}\})(:::unwritten)?$')
EDGE = re.compile(r"^\s*(\w+) (-->|==>|--o|-\.->\|requires\|) (\w+)$")
ARROW_KIND = {"-->": "contains", "==>": "next", "--o": "addresses", "-.->|requires|": "requires"}


def mermaid_text(label: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label).replace("<br/>", "\n")


def read_mermaid(text: str):
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == lines[2] == "---" and lines[1].startswith("title: ")
    assert lines[3] == "flowchart TD"
    title = json.loads(lines[1][len("title: "):])
    nodes, edges, depth = {}, Counter(), 0
    for line in lines[4:]:
        stripped = line.strip()
        if stripped.startswith("subgraph "):
            depth += 1
        elif stripped == "end":
            depth -= 1
            assert depth >= 0
        elif (match := NODE.match(line)):
            assert match.group(1) not in nodes, f"{match.group(1)} defined twice"
            nodes[match.group(1)] = (match.group(2), mermaid_text(match.group(3)))
        elif (match := EDGE.match(line)):
            edges[(match.group(1), match.group(3), ARROW_KIND[match.group(2)])] += 1
        else:
            assert stripped in ("direction TB",) or stripped.startswith("classDef "), line
    assert depth == 0  # every subgraph is closed
    return title, nodes, edges


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_mermaid_holds_the_plan_graph(path):
    plan = load_file(path).plan
    title, nodes, edges = read_mermaid(to_mermaid(plan))
    want_nodes, want_edges = expected(plan)
    assert title == plan.title
    assert set(nodes) == want_nodes
    assert edges == want_edges
    assert all(tail in nodes and head in nodes for tail, head, _ in edges)
    shapes = {node_id(("focus", f.id.text)): "{{" for f in plan.foci}
    assert all(nodes[n][0] == shape for n, shape in shapes.items())  # foci are hexagons


def test_mermaid_escapes_what_the_plan_says():
    plan = nasty_plan()
    text = to_mermaid(plan)
    title, nodes, _ = read_mermaid(text)
    assert title == NASTY_TITLE
    assert nodes["s1"][1] == 'Session 1\n<b>Łódź</b> "q"'
    assert "<script>" not in text.split("---")[2] and "<b>" not in text
    assert "f_end{{" in text  # a focus called end does not close a subgraph


def test_unwritten_sessions_are_marked():
    plan = load_file(REFERENCE).plan
    written = {s.number for _, s in plan.sessions() if s.loc is not None}
    unwritten = {f"s{s.number}" for _, s in plan.sessions() if s.loc is None}
    read_mermaid(to_mermaid(plan))  # well formed
    marked = {line.split("[")[0].strip() for line in to_mermaid(plan).split("\n")
              if line.endswith(":::unwritten")}
    assert marked == unwritten and len(written) + len(unwritten) == 16
    assert 'label="Session 7", shape=box, style=dashed' in to_dot(plan)


# --- the command ---------------------------------------------------------------------------

def test_graph_command(tmp_path):
    mermaid = runner.invoke(app, ["graph", str(REFERENCE)])
    assert mermaid.exit_code == 0 and mermaid.stdout.split("\n")[3] == "flowchart TD"
    dot = runner.invoke(app, ["graph", str(REFERENCE), "--format", "dot"])
    assert dot.exit_code == 0 and dot.stdout.startswith("digraph plan {")
    assert pydot.graph_from_dot_data(dot.stdout)
    help_text = runner.invoke(app, ["graph", "--help"]).output
    assert "Examples" in help_text and "--format dot | dot -Tsvg" in help_text


def test_graph_of_a_plan_with_errors_prints_them_and_draws_nothing(tmp_path):
    bad = tmp_path / "bad.iptplan"
    bad.write_text(REFERENCE.read_text(encoding="utf-8").replace("for sister", "for sistr"),
                   encoding="utf-8")
    result = runner.invoke(app, ["graph", str(bad)])
    assert result.exit_code == 1 and result.stdout == ""
    assert "error[IPT002]: there is no focus called 'sistr'" in result.stderr
    assert runner.invoke(app, ["graph", str(tmp_path / "nope.iptplan")]).exit_code == 2
    assert runner.invoke(app, ["graph", str(REFERENCE), "--format", "png"]).exit_code == 2
