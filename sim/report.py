"""Self-contained HTML report of a run folder (written by ``Results.save``): tables and PNG plots.

``build_report(run_dir)`` writes ``report.html`` (plots embedded, so the file can be mailed on its own) and the
same plots as PNG files in ``run_dir/plots/``.
"""
from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path

import pandas as pd

from sim import plots
from sim.callbacks_metrics import CALLBACK_METRICS
from sim.metrics import EXTRA_METRICS, METRICS
from sim.scenario import Scenario, ScenarioError

REQUIRED = ("summary.json", "scenario.json", "interval_summary.csv")


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def erlang_requirement_agents(sc: Scenario):
    """Erlang requirement per interval, or None when the scenario has no service targets."""
    targets = sc.staffing_targets()
    if not any(k in targets for k in ("service_level", "asa_s", "abandon_rate")):
        return None
    from staffing.requirements import requirements_from_scenario

    return requirements_from_scenario(sc)["agents"].to_numpy()


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.4g}"


def _metrics_table(summary: dict, lang: str = "en") -> str:
    """Metrics grouped (service, handling, staffing, cost) with unit, mean, CI, target, status, description."""
    from sim.labels import display, group_name, metric_description, metric_group, metric_name, word

    targets = {t["metric"]: t for t in summary.get("targets", [])}
    header = "".join(f"<th>{html.escape(word(k, lang))}</th>" for k in
                     ("metric", "unit", "mean", "ci", "target", "status", "description"))
    header += "<th>how estimated</th>"
    rows_by_group: dict[str, list[str]] = {}
    for name in (*METRICS, *EXTRA_METRICS, *CALLBACK_METRICS):   # call-backs: only runs with [callbacks]
        m = summary["metrics"].get(name)
        if m is None:
            continue
        t = targets.get(name)
        bound = "" if t is None else " ".join(
            s for s in (f"&ge; {html.escape(display(name, t['min']))}" if t["min"] is not None else "",
                        f"&le; {html.escape(display(name, t['max']))}" if t["max"] is not None else "") if s)
        status = "" if t is None else f'<span class="{t["status"]}">{html.escape(word(t["status"], lang))}</span>'
        from sim.labels import metric_unit

        unit = summary.get("currency", "CNY") if metric_unit(name) == "CNY" else metric_unit(name)
        ci = (f"{display(name, m['ci_low'], False)} – {display(name, m['ci_high'], False)}"
              if m.get("ci_low") is not None else html.escape(m.get("note", "–")))
        rows_by_group.setdefault(metric_group(name), []).append(
            f"<tr><td>{html.escape(metric_name(name, lang))} <code class='k'>{name}</code></td>"
            f"<td>{html.escape(unit)}</td>"
            f"<td>{display(name, m['mean'], False)}</td><td>{ci}</td><td>{bound}</td><td>{status}</td>"
            f"<td class='d'>{html.escape(metric_description(name))}</td>"
            f"<td class='method'>{html.escape(m.get('method', ''))}</td></tr>")
    from sim.labels import GROUPS

    body = "".join(f"<tr><th colspan='8' class='g'>{html.escape(group_name(g, lang))}</th></tr>"
                   + "".join(rows_by_group[g]) for g in GROUPS if g in rows_by_group)
    return f"<table><tr>{header}</tr>{body}</table>"


def _definitions(d: dict) -> str:
    """Definitions shown beside the numbers (from summary.json)."""
    items = [f"<li><b>{html.escape(k)}</b>: {html.escape(str(d[k]))}</li>" for k in
             ("fcr", "adherence", "occupancy", "answered_within_rings", "agent_turnover", "callbacks",
              "confidence_intervals")
             if k in d]
    if "fcr_repeat_window_days" in d:
        items.append(f"<li>FCR repeat window {d['fcr_repeat_window_days']:g} days; 'within N rings' with N = "
                     f"{d.get('answer_within_rings', 3)} and a ring cycle of {d.get('ring_cycle_s', 6):g} s.</li>")
    return "<ul>" + "".join(items) + "</ul>" if items else ""


def _desk_sections(run_dir: Path, sc: Scenario | None = None, lang: str = "en") -> list[tuple[str, str, bytes | None]]:
    """Ticket backlog plot and deadline-compliance table of replication 0's store, if the run kept one."""
    store = run_dir / "tickets.sqlite"
    if not store.exists():
        return []
    from sim.figure import Figure

    from sim.desk.metrics import backlog, deadline_compliance
    from sim.desk.store import open_readonly

    conn = open_readonly(store)
    try:
        bl = backlog(conn, step_s=3600.0)
        dl = deadline_compliance(conn)
    finally:
        conn.close()
    fig = Figure(figsize=(11, 3.5))
    ax = fig.subplots()
    for col in [c for c in bl.columns if c.startswith("open_")]:
        ax.plot(bl["t_s"] / 3600, bl[col], label=col.removeprefix("open_"))
    ax.plot(bl["t_s"] / 3600, bl["open"], color="black", linewidth=2, label="all")
    ax.set(ylabel="open tickets", title="Ticket backlog (replication 0)")
    if sc is not None:
        from sim.clock import clock_axis

        clock_axis(ax, sc, lang=lang)
    ax.legend(loc="upper left", ncol=4)
    fig.tight_layout()
    table = dl.round(2).to_html(classes="deadlines", na_rep="–")
    note = ("<p>The backlog starts empty at the first hour (no tickets carried over from before the horizon), "
            "so the first days under-state the open tickets: read it as a warm-up.</p>")
    from sim.desk.cli import run_figures, run_stores

    _per_rep, pooled = run_figures(run_dir)
    pooled_html = pooled.round(3).to_html(classes="desk", na_rep="–")
    n = len(run_stores(run_dir))
    return [(f"Front-desk figures pooled over {n} replication(s) (95 % interval inside each figure's domain)",
             pooled_html, None),
            ("Ticket backlog", note, _png(fig)),
            ("Deadline compliance per rule (replication 0; lateness in hours)", table, None)]


def load_run(run_dir: str | Path) -> tuple[dict, Scenario, pd.DataFrame]:
    """(summary dict, scenario, interval summary) of a saved run; clear error if the folder is not one."""
    run_dir = Path(run_dir)
    missing = [f for f in REQUIRED if not (run_dir / f).exists()]
    if missing:
        raise ScenarioError(f"{run_dir} is not a run folder (missing {', '.join(missing)}); "
                            "create one with 'acdsim run SCENARIO --out DIR'")
    from pydantic import ValidationError

    from sim.inputs import read_csv, read_json, read_text

    summary = read_json(run_dir / "summary.json", "run summary")
    if not isinstance(summary, dict) or not isinstance(summary.get("metrics"), dict):
        raise ScenarioError(f"{run_dir / 'summary.json'} is not an acdsim run summary (no 'metrics' table); "
                            "recreate the folder with 'acdsim run SCENARIO --out DIR'")
    try:
        sc = Scenario.model_validate_json(read_text(run_dir / "scenario.json", "run scenario"))
    except ValidationError as err:
        raise ScenarioError(f"{run_dir / 'scenario.json'} is damaged or from another version "
                            f"({err.error_count()} problem(s), first: {err.errors()[0]['msg']})") from None
    return summary, sc, read_csv(run_dir / "interval_summary.csv", "interval summary")


def build_report(run_dir: str | Path, extra_sections: list[tuple[str, str]] | None = None,
                 out_dir: str | Path | None = None, lang: str = "en") -> Path:
    """Write ``report.html`` and ``plots/*.png`` into ``out_dir`` (default ``run_dir``); returns the HTML path.

    ``lang``: ``"en"`` or ``"zh"`` for metric names, table headers and figure labels."""
    from sim.fonts import cjk_fonts

    with cjk_fonts():
        return _build_report(run_dir, extra_sections, out_dir, lang)


def _build_report(run_dir, extra_sections, out_dir, lang: str) -> Path:
    from sim import heatmaps
    from sim.labels import check_lang, word

    check_lang(lang)
    run_dir = Path(run_dir)
    out_dir = run_dir if out_dir is None else Path(out_dir)
    summary, sc, iv = load_run(run_dir)
    requirement = erlang_requirement_agents(sc)   # once: the staffing plot and the net-staffing heat map
    figures = {
        "volumes": ("Calls offered, answered and abandoned", plots.plot_volumes(iv, sc, lang=lang)),
        "service": ("Service level and ASA against targets", plots.plot_service(iv, sc, lang=lang)),
        "agents_queue": ("Agents on the phones and queue length", plots.plot_agents_and_queue(iv, sc, lang=lang)),
        "occupancy": ("Occupancy", plots.plot_occupancy(iv, sc, lang=lang)),
        "staffing": ("Staffing requirement vs scheduled",
                     plots.plot_staffing(iv, sc, requirement, lang=lang)),
        "shifts": ("Shifts", plots.plot_shift_gantt(sc, lang=lang)),
    }
    if (run_dir / "intervals.csv").exists():
        per_rep = pd.read_csv(run_dir / "intervals.csv")
        figures["heatmaps"] = (word("service_level_heatmap", lang).split(" by ")[0] + " — weekday × time of day"
                               if lang == "en" else "星期 × 时段热力图",
                               heatmaps.plot_heatmaps(per_rep, sc, lang=lang, requirement=requirement))
        figures["average_day"] = (word("average_day", lang), heatmaps.plot_average_day(per_rep, sc, lang=lang))
    plot_dir = out_dir / "plots"
    plot_dir.mkdir(exist_ok=True)
    sections = []
    for key, (title, fig) in figures.items():
        data = _png(fig)
        (plot_dir / f"{key}.png").write_bytes(data)
        sections.append(f"<h2>{html.escape(title)}</h2><img alt='{key}' "
                        f"src='data:image/png;base64,{base64.b64encode(data).decode()}'>")
    for title, body, png in _desk_sections(run_dir, sc, lang):
        if png is not None:
            name = title.lower().replace(" ", "_")
            (plot_dir / f"{name}.png").write_bytes(png)
            body += f"<img alt='{name}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        sections.append(f"<h2>{html.escape(title)}</h2>{body}")
    counter_part = ""   # the phone-vs-counter trade-off, right below the phone metrics
    from sim.counter_report import html_sections as counter_sections

    for title, body, png in counter_sections(run_dir, summary, sc):
        if png is not None:
            (plot_dir / "counter_tradeoff.png").write_bytes(png)
            body += f"<img alt='counter_tradeoff' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        counter_part += f"<h2>{html.escape(title)}</h2>{body}"
    from sim.group_report import breakdown_section
    for title, body in breakdown_section(summary) + list(extra_sections or []):
        sections.append(f"<h2>{html.escape(title)}</h2>{body}")
    d = summary.get("definitions", {})
    note = (f"Service level = answered within {d.get('service_level_threshold_s', 20):g} s ÷ offered. "
            + (f"Short abandons (≤ {d.get('short_abandon_s', 20):g} s) are excluded from the abandonment rate and "
               "service-level denominators. " if d.get("short_abandons_excluded", True) else
               "Short abandons are counted like any abandon. ")
            + f"Offered = {d.get('offered', 'calls that reached the agent queue')}.")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(sc.name)} – acdsim report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}td:first-child{{text-align:left}}
th.g{{text-align:left;background:#eef}}td.d{{text-align:left;color:#555;font-size:90%}}code.k{{color:#888;font-size:80%}}td.method{{text-align:left;font-size:80%;color:#555}}.pass{{color:green}}.fail{{color:red;font-weight:bold}}.inconclusive{{color:#b80}}img{{max-width:100%}}</style>
</head><body><h1>{html.escape(sc.name)}</h1><p>{html.escape(sc.description)}</p>
<p>{"Observed history (one value per metric, no CI)" if "observed" in summary else
    f"{summary.get('replications', '?')} replications, seed {summary.get('seed', '?')}"}, {sc.horizon.days} day(s) of
{sc.horizon.interval_minutes}-min intervals. {html.escape(note)}</p>
<h2>Metrics (estimate and 95 % confidence interval across replications)</h2>{_metrics_table(summary, lang)}
{counter_part}
<h3>Definitions</h3>{_definitions(d)}
{''.join(sections)}</body></html>"""
    out = out_dir / "report.html"
    out.write_text(page, encoding="utf-8")
    return out
