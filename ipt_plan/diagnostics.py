"""Diagnostics: what the checker found, where, and what to do about it."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from .model import Loc


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return 0 if self is Severity.ERROR else 1


class Diagnostic(NamedTuple):
    code: str
    severity: Severity
    message: str
    path: str
    line: int  # 1-based; a problem with the file as a whole is placed at 1:1 (`at(None)`)
    column: int
    end_column: int
    hint: str | None = None

    @classmethod
    def at(cls, code: str, severity: Severity, message: str, path: str, loc: Loc | None,
           hint: str | None = None) -> Diagnostic:
        loc = loc or Loc(1, 1, 1)
        return cls(code, severity, message, path, loc.line, loc.column, loc.end_column, hint)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.severity.rank, self.code, self.message)

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_column": self.end_column,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }
