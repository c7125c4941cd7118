"""The one rule of the house: each stage imports only the stages before it. Read from the
source with `ast` (every import, also those inside functions, but not those under
`if TYPE_CHECKING:`), so a cycle, or an output reaching up into the facade, fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import ipt_plan

PACKAGE = Path(ipt_plan.__file__).resolve().parent

# In the order the data travels; a module may import modules of earlier layers only.
LAYERS = [
    ["version", "codes", "wording", "resources", "cache", "files", "collector", "calendar_key",
     "workers"],
    ["model"],
    ["diagnostics"],
    ["source"],
    ["statements"],
    ["grammar"],
    ["syntax_errors"],
    ["parser"],
    ["builder"],
    ["knowledge"],
    ["schedule", "phrases"],
    ["measurement"],  # what the log's scores say, by the catalogue's numbers
    ["graph"],
    ["rules"],  # the package: its families import its registry, and the registry none of them
    ["suppress", "config"],
    ["result"],
    # Outputs: they read results, and never the facade below them.
    ["charts"],  # where scores go on a chart: geometry the agendas hand their templates
    ["report", "agenda", "drawing", "formatter"],
    ["renderer", "export"],
    ["editor"],  # what an editor asks of a plan, as plain data (the language server's)
    ["paths"],
    ["outdir", "capacity"],  # where agendas go, how they are written, and the room they need
    ["loader"],  # the facade: one plan
    ["warm"],  # the same documents checked again after each edit
    ["checking"],  # many plans
    ["skeleton", "batch", "record", "progress"],  # tools over the facade
    ["render_report"],
    ["lsp"],  # the language server: pygls and lsprotocol over `editor` and a checker
    ["cli"],
    ["__init__", "__main__"],
]
LAYER_OF = {name: index for index, names in enumerate(LAYERS) for name in names}


def stage_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]  # rules/course.py belongs to the rules stage


def _under_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside the body of `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`), exactly."""
    while node in parents:
        parent = parents[node]
        if (isinstance(parent, ast.If) and node in parent.body
                and ast.unparse(parent.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")):
            return True
        node = parent
    return False


def imports(path: Path) -> set[str]:
    """The stages a module imports (relative imports within ipt_plan)."""
    return imports_in(path.read_text(encoding="utf-8"),
                      list(path.relative_to(PACKAGE).parent.parts))


def imports_in(source: str, package: list[str]) -> set[str]:
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or _under_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import) or node.level == 0:  # import ipt_plan.x, from ipt_plan.x
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                f"{node.module}.{a.name}" for a in node.names]
            found.update(name.split(".")[1] for name in names
                         if name.startswith("ipt_plan.") and name.count(".") >= 1)
            continue
        base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
        if node.module:
            target = [*base, *node.module.split(".")]
            found.add(target[0] if target else "__init__")
        else:
            for alias in node.names:
                found.add((base + [alias.name])[0])
    return found


def test_every_module_has_a_place_in_the_layers():
    stages = {stage_of(p) for p in PACKAGE.rglob("*.py")}
    assert stages == set(LAYER_OF), "add the new module to LAYERS, after what it imports"


def test_each_stage_imports_only_the_stages_before_it():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        stage = stage_of(path)
        for target in imports(path) - {stage}:
            if LAYER_OF[target] >= LAYER_OF[stage]:
                upward.append(f"{path.relative_to(PACKAGE)} imports {target}")
    assert upward == []


def test_the_rule_families_import_only_the_registry_of_their_package():
    rules = PACKAGE / "rules"
    for path in rules.glob("*.py"):
        if path.name in ("__init__.py", "registry.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside = {node.module for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.level == 1}
        assert inside <= {"registry"}, path.name


def test_the_check_sees_imports_in_functions_and_not_for_type_checking_only():
    source = ("from typing import TYPE_CHECKING\nfrom .model import Plan\n"
              "if TYPE_CHECKING:\n    from .checking import check\n"
              "def f():\n    from .loader import load_file\n")
    assert imports_in(source, []) == {"model", "loader"}
    assert imports_in("from .. import codes\nfrom .registry import rule\n", ["rules"]) == {
        "codes", "rules"}
    assert imports_in("import ipt_plan.loader\nfrom ipt_plan.checking import check\n", []) == {
        "loader", "checking"}
    assert imports_in("if TYPE_CHECKING or True:\n    from .loader import x\n", []) == {"loader"}
    assert LAYER_OF["loader"] > LAYER_OF["report"]  # so a report importing it is caught
