"""What the CLI table and report.html show are the numbers in summary.json (and summary.json is the run's).

One ``acdsim run --out DIR --report`` of a small scenario; the printed table and the HTML metrics table are
parsed back into numbers and compared with summary.json within the rounding of their display format
(CLI: 0.1 percentage point, 2 decimals or whole counts; report: 4 significant digits). The console width is
set explicitly, so the check does not depend on the terminal.
"""
from __future__ import annotations

import json
import math
import re

import pytest
from typer.testing import CliRunner

import sim
import sim.cli_run
from sim.cli import app
from sim.metrics import METRICS

SCENARIO = """
name = "content"
seed = 9
[horizon]
days = 1
[arrivals]
calls_per_hour = 40
[call_types.a]
share = 1.0
talk = { family = "exponential", mean = 150 }
acw = 20
[callers]
patience = { family = "exponential", mean = 120 }
[agents]
headcount = 2
[targets]
service_level = { min = 0.5 }
asa = { max = 600 }
"""


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("content")
    (tmp / "s.toml").write_text(SCENARIO, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setattr(sim.cli_run.console, "width", 220)
    try:
        result = CliRunner().invoke(app, ["run", str(tmp / "s.toml"), "-r", "3", "--out", str(tmp / "o"), "--report"])
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp / "o" / "summary.json").read_text(encoding="utf-8"))
    return result.output, summary, tmp


def shown_number(text: str) -> float:
    text = text.strip()
    if text == "–":
        return math.nan
    scale = 0.01 if text.endswith("%") else 1.0
    return float(text.rstrip(" %").replace(",", "")) * scale


def close(shown: float, value, tol: float) -> bool:
    if value is None:
        return math.isnan(shown)
    return abs(shown - value) <= tol


def cli_tolerance(name: str) -> float:
    if name in sim.cli_run.PERCENT:
        return 0.0005 + 1e-12
    return 0.5 if name == "total_calls" else 0.005 + 1e-12


def test_summary_json_is_the_run(cli_run):
    _, summary, tmp = cli_run
    res = sim.run(sim.load_scenario(tmp / "s.toml"), replications=3)  # the file's seed: the same run
    assert summary["replications"] == 3 and summary["seed"] == 9
    for name in METRICS:
        for key in ("mean", "ci_low", "ci_high"):
            value = float(res.summary.loc[name, key])
            want = None if not math.isfinite(value) else value
            assert summary["metrics"][name][key] == (pytest.approx(want, rel=1e-12) if want is not None else None)


def test_cli_table_shows_summary_json(cli_run):
    output, summary, _ = cli_run
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) >= 7 and cells[1] in METRICS:
            rows[cells[1]] = cells[2:7]
    assert set(rows) == set(METRICS)
    for name, (mean, ci, unit, target, status) in rows.items():
        m = summary["metrics"][name]
        tol = cli_tolerance(name)
        assert close(shown_number(mean), m["mean"], tol), f"{name}: shown {mean}, summary.json {m['mean']}"
        if m["ci_low"] is not None:
            low, high = ci.split("–")
            assert close(shown_number(low), m["ci_low"], tol) and close(shown_number(high), m["ci_high"], tol), name
    targets = {t["metric"]: t for t in summary["targets"]}
    assert set(targets) == {"service_level", "asa"}
    for name, t in targets.items():
        assert rows[name][4] == t["status"]
    assert rows["service_level"][3] == ">= 50.0 %" and rows["asa"][3] == "<= 600.00"
    assert rows["asa"][2] == "s"


def test_report_html_shows_summary_json(cli_run):
    """Each metric row: display name with its key, unit, estimate, CI, target, status, description, method;
    numbers in display units (percent for shares, see sim.labels), 4 significant digits."""
    from sim.labels import metric_scale

    _, summary, tmp = cli_run
    html = (tmp / "o" / "report.html").read_text(encoding="utf-8")
    rows = dict((m[0], m[1:]) for m in re.findall(
        r"<tr><td>[^<]*<code class='k'>([a-z_]+)</code></td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>"
        r"<td>([^<]*)</td><td>(.*?)</td>", html))
    assert set(METRICS) <= set(rows)
    for name in METRICS:
        unit, mean, ci, _, _ = rows[name]
        m = summary["metrics"][name]
        scale = metric_scale(name)
        parts = ci.split(" – ") if m["ci_low"] is not None else [math.nan, math.nan]
        for shown, value in ((mean, m["mean"]), *zip(parts, (m["ci_low"], m["ci_high"]))):
            got = math.nan if isinstance(shown, float) else float(shown.replace(",", "").strip() or "nan") / scale
            assert (value is None and math.isnan(got)) or got == pytest.approx(value, rel=5e-3, abs=1e-12), \
                f"{name}: report shows {shown}, summary.json {value}"
    for t in summary["targets"]:
        assert f'<span class="{t["status"]}">{t["status"]}</span>' in rows[t["metric"]][4]
    assert f"{summary['replications']} replications, seed {summary['seed']}" in html
