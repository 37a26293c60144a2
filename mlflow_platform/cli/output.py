"""Rendering: a table (humans) or JSON (scripts) on stdout; progress and notes on stderr.

stdout carries only the result, so `--output json` is always parseable and
`eval "$(mlflow-platform env NAME)"` evaluates only the exports.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from .errors import CliError, ProvisioningFailed, ValidationError

FORMATS = ("table", "json")
MAX_CELL = 72


@dataclass(frozen=True)
class Table:
    """Rows under column names. Cells are shown whole (users copy output values, ARNs,
    record IDs from them); only the columns in `shorten` (prose such as descriptions) are
    cut to MAX_CELL characters."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    title: str | None = None
    shorten: frozenset[str] = frozenset()


@dataclass
class View:
    """One command's result: `data` for JSON, `tables` and `text` for humans."""

    data: Any
    tables: list[Table] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Renderer:
    def __init__(self, fmt: str, out: TextIO, err: TextIO) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}")
        self.fmt = fmt
        self._out = out
        self._err = err

    def progress(self, message: str) -> None:
        self._err.write(message + "\n")
        self._err.flush()

    def preview(self, table: Table) -> None:
        """Shown before a confirmation: stdout for humans, stderr when stdout is JSON."""
        stream = self._err if self.fmt == "json" else self._out
        stream.write(render_table(table) + "\n")
        stream.flush()

    def show(self, view: View) -> None:
        for note in view.notes:
            self.progress(f"note: {note}")
        if self.fmt == "json":
            self._out.write(json.dumps(view.data, indent=2, default=str) + "\n")
            return
        blocks = [render_table(t) for t in view.tables]
        if view.text:
            blocks.append("\n".join(view.text))
        self._out.write("\n\n".join(b for b in blocks if b) + "\n")

    def error(self, err: CliError) -> None:
        details = error_details(err)
        lines = [f"error: {err.message}", *(f"  - {d}" for d in details)]
        if err.hint:
            lines += [f"hint: {h}" for h in err.hint.splitlines()]
        self._err.write("\n".join(lines) + "\n")
        if self.fmt == "json":
            document = {"error": {"type": err.kind, "message": err.message, "details": details,
                                  "hint": err.hint, "exit_code": int(err.exit_code)}}
            self._out.write(json.dumps(document, indent=2) + "\n")


def error_details(err: CliError) -> list[str]:
    if isinstance(err, ValidationError) and len(err.problems) > 1:
        return err.problems
    if isinstance(err, ProvisioningFailed):
        return err.reasons
    return []


def render_table(table: Table) -> str:
    limits = [MAX_CELL if c in table.shorten else None for c in table.columns]
    rows = [[_cell(v, limit) for v, limit in zip(row, limits, strict=True)]
            for row in table.rows]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(table.columns)]
    header = "  ".join(c.upper().ljust(w) for c, w in zip(table.columns, widths, strict=True))
    lines = [header.rstrip()] + [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    if not rows:
        lines.append("(none)")
    if table.title:
        lines.insert(0, f"{table.title}:")
    return "\n".join(lines)


def _cell(value: Any, limit: int | None) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())  # one line per row
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def shell_exports(values: dict[str, str], unset: Sequence[str]) -> list[str]:
    """POSIX shell lines; every value quoted with shlex.quote."""
    lines = [f"unset {' '.join(unset)}"] if unset else []
    lines += [f"export {key}={shlex.quote(value)}" for key, value in values.items()]
    return lines
