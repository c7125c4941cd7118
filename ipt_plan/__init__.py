"""ipt-plan: check interpersonal psychotherapy (IPT) treatment plans.

The pipeline, one module a stage, each importing only the stages before it: source (bytes
to text) -> parser (lines to statements, syntax_errors saying what failed) -> builder
(statements to the typed `Plan`) -> knowledge (catalogue and profiles) -> graph (the plan
as a networkx graph) -> rules (diagnostics) -> result. `loader` is the facade over them
for one plan, `checking` for many, `warm` (Checker) for the same documents checked again
after each edit. Outputs read results: report, agenda (typed session agendas) -> renderer
(Jinja2) -> batch (many plans into folders of files), export, drawing.
"""

from __future__ import annotations

from .version import __version__

__all__ = ["load_file", "load_string", "load_bytes", "check", "iter_check", "Checker", "Result",
           "Diagnostic", "Severity", "Plan", "render", "Document", "__version__"]


def __getattr__(name: str):
    # Imported on first use, so that `ipt-plan --version` and `ipt-plan rules` stay light.
    if name in ("load_file", "load_string", "load_bytes"):
        from . import loader

        return getattr(loader, name)
    if name in ("check", "iter_check"):
        from . import checking

        return getattr(checking, name)
    if name == "Checker":
        from .warm import Checker

        return Checker
    if name == "Result":
        from .result import Result

        return Result
    if name in ("Diagnostic", "Severity"):
        from . import diagnostics

        return getattr(diagnostics, name)
    if name == "Plan":
        from .model import Plan

        return Plan
    if name in ("render", "Document"):
        # The module is `renderer`, not `render`: importing a submodule sets it as an
        # attribute of the package, which would hide this function.
        from . import renderer

        return getattr(renderer, name)
    raise AttributeError(f"module 'ipt_plan' has no attribute {name!r}")
