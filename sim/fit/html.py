"""``calibration.html``: one self-contained page with the fitted values, their sources and the plots.

Plots (embedded as PNG, also written to ``plots/``): arrival profile by weekday, observed staffing,
Kaplan–Meier survival of patience against the censored-ML families, and a QQ plot per call type and fitted
duration. Tables state definitions beside the numbers and name inputs that were options, not measurements.
"""
from __future__ import annotations

import html
import math
from pathlib import Path


CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
       "th{background:#f3f3f3}td:first-child{text-align:left}.note{color:#a40}img{max-width:100%}")


def _fmt(v, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}f}"


from sim.figure import embed_png as _img  # noqa: E402  (one PNG-embedding helper for every HTML page)


def _duration_rows(cal) -> str:
    rows = []
    for name, t in cal.types.items():
        for q in ("talk", "hold", "acw"):
            fit = getattr(t, q)
            if fit is None:
                rows.append(f"<tr><td>{html.escape(name)}</td><td>{q}</td><td colspan=6 class=note>"
                            f"{html.escape(t.sources.get(q, ''))}</td></tr>")
                continue
            lo, hi = fit.conf_int()
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{q}</td><td>{fit.n}</td><td>{fit.family}</td>"
                        f"<td>{_fmt(fit.mean_s)}</td><td>{_fmt(lo)} – {_fmt(hi)}</td><td>{_fmt(fit.cv, 2)}</td>"
                        f"<td>{_fmt(fit.ks_d, 3)}</td></tr>")
    return ("<table><tr><th>call type</th><th>quantity</th><th>n</th><th>family (AIC)</th><th>mean s</th>"
            "<th>95 % CI</th><th>cv</th><th>KS D</th></tr>" + "".join(rows) + "</table>")


def _type_rows(cal) -> str:
    rows = []
    for name, t in cal.types.items():
        f = cal.redials.fcr.get(name, {})
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{_fmt(100 * cal.arrivals.shares[name])} %</td>"
                    f"<td>{t.handled}</td><td>{_fmt(100 * t.transfer_prob)} %</td>"
                    f"<td>{_fmt(100 * f['fcr_within_window']) if f else '–'} %</td>"
                    f"<td>{_fmt(100 * f['fcr']) if f else '–'} %</td></tr>")
    return ("<table><tr><th>call type</th><th>share of first attempts</th><th>handled</th><th>transferred</th>"
            f"<th>FCR within {cal.redials.repeat_window_s / 3600:.0f} h</th><th>scenario fcr</th></tr>"
            + "".join(rows) + "</table>")


def _patience_section(cal, plots: Path) -> list[str]:
    pat = cal.patience
    if pat is None:
        return ["<p class=note>Fewer than 2 abandoned calls: patience was not estimated, and the scenario's callers "
                "never abandon.</p>"]
    lo, hi = pat.conf_int()
    return [f"<p>Answered and still-waiting callers are right-censored observations of patience. "
            f"{pat.n} queued calls, {pat.n_abandoned} abandoned. Chosen: <b>{pat.family}</b>, mean "
            f"{_fmt(pat.mean_s)} s (95 % CI {_fmt(lo)} – {_fmt(hi)}). The mean wait of abandoned callers alone, "
            f"{_fmt(pat.naive_mean_s)} s, is biased low and not used. The plot sets the Kaplan–Meier survival "
            "curve (non-parametric, 95 % Greenwood band) against each family fitted by censored maximum "
            "likelihood.</p>",
            "<table><tr><th>family</th><th>AIC</th><th>mean s</th><th>95 % CI</th></tr>"
            + "".join(f"<tr><td>{f}</td><td>{c.aic:.1f}</td><td>{_fmt(c.mean_s)}</td>"
                      f"<td>{_fmt(c.ci[0])} – {_fmt(c.ci[1])}</td></tr>" for f, c in pat.candidates.items())
            + "</table>", _img(cal.plot_survival(), plots / "patience_survival.png")]


def write_html(cal, out: Path) -> Path:
    """Write ``out/calibration.html`` and ``out/plots/*.png``."""
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    start, end = cal.period
    r = cal.redials
    parts = [f"<html><head><meta charset='utf-8'><title>Calibration</title><style>{CSS}</style></head><body>",
             "<h1>Calibration from the centre's history</h1>",
             f"<p>{cal.n_calls} call attempts, {html.escape(start)} – {html.escape(end)} ({cal.observed.days} days). "
             f"Attempts: {r.origin_counts}. A <em>redial</em> is a call from the same caller id within "
             f"{r.redial_window_s:.0f} s of an unanswered attempt; a <em>repeat</em> one within "
             f"{r.repeat_window_s / 3600:.0f} h of a handled call; all others are first attempts.</p>"]
    if cal.notes:
        parts.append("<ul>" + "".join(f"<li class=note>{html.escape(n)}</li>" for n in cal.notes) + "</ul>")
    parts += ["<h2>Arrivals</h2>", f"<p>{html.escape(cal.arrivals.summary())}</p>",
              _img(cal.plot_arrivals(), plots / "arrivals.png"),
              "<h2>Observed staffing</h2>", _img(cal.plot_staffing(), plots / "staffing.png"),
              "<h2>Caller patience (censored)</h2>", *_patience_section(cal, plots),
              f"<h2>Pick-up delay</h2><p>{cal.pickup.delay_s:g} s: the 1 % quantile of the waits to answer; "
              f"{100 * cal.pickup.share_at_floor:.0f} % of answered calls waited at most 1 s longer (a fixed ring "
              "before pick-up when >= 10 %).</p>",
              "<h2>Redials and first-call resolution</h2>", f"<pre>{html.escape(r.summary())}</pre>",
              "<h2>Call types</h2>", _type_rows(cal),
              "<h2>Durations (maximum likelihood, family by AIC)</h2>",
              "<p>KS D = largest distance between the empirical and the fitted distribution function. "
              "The CI is of the mean.</p>", _duration_rows(cal)]
    for name, t in cal.types.items():
        for q in ("talk", "hold", "acw"):
            if getattr(t, q) is not None:
                safe = "".join(ch if ch.isalnum() else "_" for ch in name)
                parts.append(_img(cal.plot_qq(name, q), plots / f"qq_{safe}_{q}.png"))
    parts.append("</body></html>")
    path = out / "calibration.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
