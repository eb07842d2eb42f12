"""Per call type and per skill group tables for the CLI run output and report.html (``[routing]`` runs).

Reads the pooled estimates of ``sim.group_metrics`` (``Results.breakdown`` / summary.json ``by_call_type`` and
``by_group``); the definitions shown are the ones stored beside the numbers.
"""
from __future__ import annotations

import html
import math

from rich.table import Table

from sim.group_metrics import DEFINITIONS

_PERCENT = ("service_level", "abandon_rate", "occupancy")
_COLUMNS = (("service_level", "SL"), ("asa", "ASA s"), ("abandon_rate", "abandon"), ("occupancy", "occupancy"),
            ("offered", "offered/rep"), ("answered", "answered/rep"))


def _fmt(metric: str, value) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if metric in _PERCENT:
        return f"{100 * value:.1f} %"
    return f"{value:,.0f}" if metric in ("offered", "answered") else f"{value:.1f}"


def _cell(metric: str, entry: dict | None) -> str:
    if entry is None:
        return ""
    text = _fmt(metric, entry.get("mean"))
    lo, hi = entry.get("ci_low"), entry.get("ci_high")
    if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
        text += f" ({_fmt(metric, lo)}–{_fmt(metric, hi)})"
    return text


def breakdown_table(summary: dict) -> Table | None:
    """Concise rich table: one row per call type, then per group; estimates only (CIs: summary.json, report)."""
    if not summary.get("by_group") and not summary.get("by_call_type"):
        return None
    table = Table(title="by call type and skill group (estimates; 95 % CIs in summary.json and report.html)")
    table.add_column("", justify="left")
    for _, head in _COLUMNS:
        table.add_column(head, justify="right")
    for level, key in (("type", "by_call_type"), ("group", "by_group")):
        for name, metrics in summary.get(key, {}).items():
            table.add_row(f"{level} {name}", *(_fmt(m, (metrics.get(m) or {}).get("mean")) if m in metrics else ""
                                               for m, _ in _COLUMNS))
    return table


def breakdown_note() -> str:
    return "Per type: " + DEFINITIONS["by_call_type"] + ". Per group: " + DEFINITIONS["by_group"] + "."


def breakdown_section(summary: dict) -> list[tuple[str, str]]:
    """('By call type and skill group', html) for report.html, or nothing without routing."""
    if not summary.get("by_group") and not summary.get("by_call_type"):
        return []
    defs = summary.get("breakdown_definitions", DEFINITIONS)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ("", *(h for _, h in _COLUMNS)))
    rows = []
    for level, key in (("call type", "by_call_type"), ("group", "by_group")):
        for name, metrics in summary.get(key, {}).items():
            cells = "".join(f"<td>{html.escape(_cell(m, metrics.get(m)))}</td>" for m, _ in _COLUMNS)
            rows.append(f"<tr><td>{html.escape(level)} <b>{html.escape(name)}</b></td>{cells}</tr>")
    body = (f"<table><tr>{head}</tr>{''.join(rows)}</table>"
            f"<ul><li><b>per call type</b>: {html.escape(defs['by_call_type'])}</li>"
            f"<li><b>per group</b>: {html.escape(defs['by_group'])}</li>"
            "<li>offered/rep, answered/rep: mean per replication; others: estimate (95 % CI across "
            "replications, pooled ratio)</li></ul>")
    return [("By call type and skill group", body)]
