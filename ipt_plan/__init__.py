"""ipt-plan: check interpersonal psychotherapy (IPT) treatment plans.

The pipeline, one module a stage: source (bytes to text) -> parser (the Lark grammar,
lines to statements) -> builder (statements to the typed `Plan`) -> graph (the plan as a
networkx graph) -> rules (diagnostics). `loader` is the facade over all of them.
Agendas follow: agenda (a checked plan as typed session agendas) -> renderer (Jinja2
templates) -> batch (many plans into folders of files, in parallel).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["load_file", "load_string", "load_bytes", "check", "Result", "Diagnostic",
           "Severity", "Plan", "render", "Document", "__version__"]


def __getattr__(name: str):
    # Imported on first use, so that `ipt-plan --version` and `ipt-plan rules` stay light.
    if name in ("load_file", "load_string", "load_bytes", "check", "Result"):
        from . import loader

        return getattr(loader, name)
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
