"""HTML and Excel views of a what-if comparison (:mod:`sim.compare`): one table per metric group with each
variant's mean and 95 % CI and its paired difference to the reference, then the targets per variant."""
from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

from sim.compare import HEADLINE, Comparison
from sim.labels import display, metric_name, metric_scale, metric_unit, word


def _diff_text(metric: str, row) -> str:
    if not math.isfinite(row["diff"]):
        return "–"
    scale = metric_scale(metric)
    unit = "pp" if metric_unit(metric) == "%" else metric_unit(metric)
    lo, hi = row["diff_ci_low"], row["diff_ci_high"]
    ci = f" [{lo * scale:+.3g}, {hi * scale:+.3g}]" if math.isfinite(lo) else ""
    return f"{row['diff'] * scale:+.3g}{ci} {unit}".rstrip()


def comparison_frame(cmp: Comparison, metrics=None, lang: str = "en") -> pd.DataFrame:
    """Display table: metric, then per variant 'mean [CI]' and (after the reference) 'Δ [CI]'."""
    metrics = metrics or [m for m in HEADLINE if m in set(cmp.summary["metric"])]
    rows = []
    for m in metrics:
        row = {word("metric", lang): metric_name(m, lang), word("unit", lang): metric_unit(m)}
        for k, label in enumerate(cmp.labels):
            r = cmp.summary[(cmp.summary["variant"] == label) & (cmp.summary["metric"] == m)].iloc[0]
            row[label] = f"{display(m, r['mean'], False)} [{display(m, r['ci_low'], False)}, " \
                         f"{display(m, r['ci_high'], False)}]"
            if k:
                row[f"Δ {label}"] = _diff_text(m, r) + (" *" if r["significant"] else "")
        rows.append(row)
    return pd.DataFrame(rows)


def write_html(cmp: Comparison, path: str | Path, lang: str = "en") -> Path:
    table = comparison_frame(cmp, lang=lang).to_html(index=False, escape=True)
    targets = cmp.targets.copy()
    if not targets.empty:
        targets["status"] = [word(s, lang) for s in targets["status"]]
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>acdsim compare</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}td:first-child{{text-align:left}}</style></head><body>
<h1>{html.escape(word('comparison', lang))}: {html.escape(' / '.join(cmp.labels))}</h1>
<p>{cmp.replications} replications per variant, seed {cmp.seed}, common random numbers. Each cell: mean
[95 % CI]. Δ = variant − reference ({html.escape(cmp.labels[0])}), the mean of per-replication differences with
a paired Student-t 95 % CI; * marks a difference whose CI excludes 0 (pp = percentage points).</p>
{table}<h2>{html.escape(word('target', lang))}</h2>{targets.to_html(index=False, na_rep='–')}</body></html>"""
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path


def write_excel(cmp: Comparison, path: str | Path, lang: str = "en") -> Path:
    from sim.excel import write_workbook

    return write_workbook(path, {word("comparison", lang): comparison_frame(cmp, lang=lang),
                                 "summary": cmp.summary, word("target", lang): cmp.targets,
                                 "per_replication": cmp.per_replication})
