"""One Excel workbook per result, with labelled sheets a planner can open and forward.

Written with openpyxl (kept, pure Python, reads back what it writes so tests can check the workbook;
xlsxwriter writes only). Every sheet starts with a bold header row that is frozen, columns get widths to
fit, fractions carry a percent number format, and the summary sheet has a unit, a description, the
target and its status beside every metric. Sheets:

- run: ``summary``, ``intervals`` (per interval mean and CI, with date, weekday and clock time),
  ``targets``;
- compare: ``comparison`` (per variant and metric: mean, CI, paired difference and its CI), ``targets``;
- staff: ``requirements``; schedule: ``roster``, ``coverage`` (and ``rota`` when one exists).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.labels import (metric_description, metric_group, metric_name, metric_scale, metric_unit, group_name,
                        percent_metrics, word)




def write_workbook(path: str | Path, sheets: dict[str, pd.DataFrame], percent_columns=()) -> Path:
    """Write ``sheets`` (name → table) to ``path``; columns named in ``percent_columns`` (or starting with a
    rate metric's name) get a percent format."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, table in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        table = table.reset_index(drop=True)
        ws.append([str(c) for c in table.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in table.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        for k, col in enumerate(table.columns, start=1):
            letter = get_column_letter(k)
            width = max([len(str(col))] + [len(str(v)) for v in table[col].head(200)])
            ws.column_dimensions[letter].width = min(max(8, width + 2), 60)
            if col in percent_columns or any(str(col).startswith(p) for p in percent_metrics()):
                for cell in ws[letter][1:]:
                    cell.number_format = "0.0%"
    path = Path(path)
    wb.save(path)
    return path


def _cell(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    return value


def summary_sheet(summary: dict, lang: str = "en") -> pd.DataFrame:
    """The run's metrics grouped (service, handling, staffing, cost, volume) with unit, CI and target.

    Values are shown in their display unit (percent as 0–100, seconds, currency)."""
    targets = {t["metric"]: t for t in summary.get("targets", [])}
    rows = []
    for metric, m in summary["metrics"].items():
        scale = metric_scale(metric)
        t = targets.get(metric)
        show = lambda v: None if v is None else v * scale  # noqa: E731
        rows.append({word("group", lang): group_name(metric_group(metric), lang),
                     word("metric", lang): metric_name(metric, lang), "key": metric,
                     word("unit", lang): metric_unit(metric), word("mean", lang): show(m.get("mean")),
                     "ci_low": show(m.get("ci_low")), "ci_high": show(m.get("ci_high")),
                     "target_min": None if t is None else show(t.get("min")),
                     "target_max": None if t is None else show(t.get("max")),
                     word("status", lang): "" if t is None else word(t["status"], lang),
                     word("description", lang): metric_description(metric)})
    order = {"service": 0, "handling": 1, "staffing": 2, "cost": 3, "volume": 4}
    frame = pd.DataFrame(rows)
    frame["_o"] = [order[metric_group(k)] for k in frame["key"]]
    return frame.sort_values("_o", kind="stable").drop(columns="_o")


def run_workbook(run_dir: str | Path, lang: str = "en", out_dir: str | Path | None = None) -> Path:
    """``results.xlsx`` of a saved run folder (``acdsim run --out``), written into ``out_dir`` (default: the
    run folder)."""
    from sim.clock import with_clock_columns
    from sim.report import load_run

    run_dir = Path(run_dir)
    summary, sc, iv = load_run(run_dir)
    targets = pd.DataFrame(summary.get("targets", []))
    sheets = {word("summary", lang): summary_sheet(summary, lang),
              word("intervals", lang): with_clock_columns(iv, sc)}
    if not targets.empty:
        sheets[word("target", lang)] = targets
    return write_workbook(Path(out_dir or run_dir) / "results.xlsx", sheets)
