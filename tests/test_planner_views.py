"""Planner views: clock time, heat maps, what-if comparison, Excel, Chinese labels, calculator, staff→schedule."""
from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app

SMALL = {
    "name": "tiny", "seed": 5, "replications": 4,
    "horizon": {"days": 2, "interval_minutes": 60, "start_weekday": "friday"},
    "arrivals": {"calls_per_hour": 30},
    "call_types": {"call": {"share": 1.0, "talk": {"family": "exponential", "mean": 240}}},
    "callers": {"patience": {"family": "exponential", "mean": 120}},
    "agents": {"headcount": 3},
    "targets": {"service_level": {"min": 0.5}, "abandon_rate": {"max": 0.2}},
}
runner = CliRunner()


def small(**changes) -> sim.Scenario:
    return sim.Scenario.model_validate(SMALL).with_changes(changes) if changes else sim.Scenario.model_validate(SMALL)


# ----------------------------------------------------------------------------------------- clock time
def test_clock_labels_and_columns():
    from sim.clock import clock_columns, clock_label

    sc = small()
    assert clock_label(0, 4) == "Fri 00:00"
    assert clock_label(86400 + 8.5 * 3600, 4) == "Sat 08:30"
    assert clock_label(2 * 86400 + 3600, 6) == "Tue 01:00"  # wraps the week
    assert clock_label(9 * 3600, 0, lang="zh") == "周一 09:00"
    cols = clock_columns(sc, [0.0, 90000.0])
    assert cols.to_dict("list") == {"date": ["day 0", "day 1"], "weekday": ["Fri", "Sat"], "time": ["00:00", "01:00"]}


def test_saved_interval_tables_carry_date_weekday_time(tmp_path):
    res = sim.run(small(), replications=2, seed=1)
    res.save(tmp_path)
    for name in ("intervals.csv", "interval_summary.csv"):
        table = pd.read_csv(tmp_path / name)
        cols = list(table.columns)
        assert cols[cols.index("interval_start_s") + 1: cols.index("interval_start_s") + 4] == ["date", "weekday", "time"]
        first = table[table["interval"] == 25].iloc[0]  # day 1 (Saturday), 01:00
        assert (first["weekday"], first["time"]) == ("Sat", "01:00")


def test_figures_render_inline_in_jupyter():
    """IPython's PNG formatter (what a notebook uses) returns image bytes for every Results plot."""
    from IPython.core.formatters import PNGFormatter

    res = sim.run(small(), replications=2, seed=1)
    fmt = PNGFormatter()
    for plot in (res.plot_volumes, res.plot_service, res.plot_occupancy, res.plot_heatmaps, res.plot_average_day):
        png = fmt(plot())
        assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n", plot.__name__


def test_time_axes_show_weekday_and_clock():
    res = sim.run(small(), replications=2, seed=1)
    fig = res.plot_service()
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[-1].get_xticklabels()]
    assert labels and all(label[:3] in ("Fri", "Sat", "Sun") and label[3] == " " for label in labels
                          if not label[:2].isdigit()), labels
    assert labels[0] == "Fri 00:00" and "Sat 00:00" in labels and "12:00" in labels
    assert "hours" not in fig.axes[-1].get_xlabel()


# ----------------------------------------------------------------------------------------- Chinese
def _render(text: str) -> np.ndarray:
    from sim.figure import Figure
    from sim.fonts import cjk_fonts

    with cjk_fonts():
        fig = Figure(figsize=(3, 0.6))
        fig.text(0.02, 0.3, text, fontsize=16)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    from matplotlib.image import imread

    return imread(io.BytesIO(buf.getvalue()))


def test_chinese_text_draws_glyphs_not_boxes():
    """Missing glyphs all draw the same box, so two different 4-character strings would render identically;
    real glyphs differ. '龘' is outside every available font here (GB 2312 level 1 subset, no system CJK font
    on CI), which is the known-missing reference."""
    from sim.fonts import missing_glyphs

    assert missing_glyphs("服务水平放弃率占用") == []
    a, b = _render("服务水平"), _render("放弃率占")
    assert np.abs(a - b).sum() > 50  # different glyphs → clearly different pixels
    if missing_glyphs("龘"):
        boxes1, boxes2 = _render("龘龘龘龘"), _render("龘龘龘龘")
        assert np.abs(boxes1 - boxes2).sum() == 0
        assert np.abs(a - boxes1).sum() > 50


def test_chinese_report_and_labels(tmp_path):
    res = sim.run(small(), replications=2, seed=1)
    res.save(tmp_path)
    from sim.report import build_report

    page = build_report(tmp_path, lang="zh").read_text(encoding="utf-8")
    for word in ("服务水平", "平均应答速度", "放弃率", "占用率", "均值", "95% 置信区间"):
        assert word in page
    assert page.index("服务</th>") < page.index("处理</th>") < page.index("人员</th>")  # grouped, service first
    with pytest.raises(ValueError, match="lang must be one of en, zh"):
        build_report(tmp_path, lang="fr")


# ----------------------------------------------------------------------------------------- heat maps
def test_heatmap_pools_by_weekday_and_clock_time_with_weights():
    from sim.heatmaps import heatmap_table

    sc = small()  # day 0 = Friday, 60-min intervals
    rows = []
    for rep, (sl0, off0) in enumerate(((1.0, 10), (0.0, 30))):
        rows.append({"replication": rep, "interval": 9, "interval_start_s": 9 * 3600.0, "service_level": sl0,
                     "offered": off0})
        rows.append({"replication": rep, "interval": 33, "interval_start_s": 33 * 3600.0, "service_level": 0.5,
                     "offered": 0})  # Saturday 09:00: no calls → no weight
    table = heatmap_table(pd.DataFrame(rows), sc, "service_level")
    assert table.loc[4, 540] == pytest.approx(10 / 40)  # Friday 09:00: (1*10 + 0*30) / 40, not the mean 0.5
    assert math.isnan(table.loc[5, 540])
    assert list(table.index) == list(range(7))


# ----------------------------------------------------------------------------------------- compare
def test_compare_identical_variant_has_zero_difference_and_more_agents_help():
    from sim.compare import compare

    base = small()
    cmp = compare([base, base, base.with_changes({"agents.headcount": 6})], labels=["a", "same", "more"],
                  replications=4, seed=3)
    s = cmp.summary.set_index(["variant", "metric"])
    # Common random numbers: the same scenario gives the same calls in every replication, so exactly 0.
    assert s.loc[("same", "service_level"), "diff"] == 0.0
    assert s.loc[("same", "service_level"), "diff_ci_low"] == 0.0
    more = s.loc[("more", "service_level")]
    assert more["diff"] > 0 and more["significant"] and more["diff_ci_low"] > 0
    assert s.loc[("more", "cost"), "diff"] > 0
    assert set(cmp.targets["variant"]) == {"a", "same", "more"}


def test_paired_difference_matches_hand_computation():
    from sim.compare import paired_difference

    d, lo, hi = paired_difference(np.array([3.0, 5.0, 4.0]), np.array([1.0, 2.0, 2.0]))
    # differences 2, 3, 2: mean 7/3, sd 0.57735, t(0.975, 2) = 4.302653
    half = 4.302653 * 0.5773503 / math.sqrt(3)
    assert (d, lo, hi) == pytest.approx((7 / 3, 7 / 3 - half, 7 / 3 + half), rel=1e-6)


def test_compare_cli_with_set_variants_writes_all_outputs(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text('name = "tiny"\nseed = 5\nreplications = 3\n[horizon]\ndays = 1\n[arrivals]\ncalls_per_hour = 20\n'
                    '[call_types.call]\nshare = 1.0\ntalk = { family = "exponential", mean = 200 }\n'
                    '[agents]\nheadcount = 2\n[targets]\nservice_level = { min = 0.5 }\n', encoding="utf-8")
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(path), "--set", "agents=3,4", "--out", str(out), "--excel"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert data["variants"] == ["reference", "agents.headcount=3", "agents.headcount=4"]
    sl = {r["variant"]: r for r in data["summary"] if r["metric"] == "service_level"}
    assert sl["agents.headcount=4"]["diff"] > sl["agents.headcount=3"]["diff"] > 0
    from openpyxl import load_workbook

    assert load_workbook(out / "compare.xlsx").sheetnames == ["comparison", "summary", "target", "per_replication"]
    assert "compare.html" in {p.name for p in out.iterdir()}


def test_compare_needs_two_variants(tmp_path):
    from sim.compare import compare
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="two or more scenarios"):
        compare([small()], replications=2)


# ----------------------------------------------------------------------------------------- --set paths
def test_set_reaches_shift_counts_by_name_and_says_when_roster_is_replaced():
    from sim.scenario import ScenarioError
    from sim.sweep import build_variants, roster_notes

    sc = sim.load_scenario("scenarios/property_centre.toml")
    changed = sc.with_changes({"agents.shifts.day.count": 4})
    assert [s.count for s in changed.agents.shifts if s.name == "day"] == [4]
    with pytest.raises(ScenarioError, match="no entry named 'dya'.*day"):
        sc.with_changes({"agents.shifts.dya.count": 4})
    notes = roster_notes(sc, build_variants(sc, ["agents=9"]))
    assert len(notes) == 1 and "replaces the scenario's shift roster" in notes[0]
    assert roster_notes(sc, build_variants(sc, ["agents.shifts.day.count=3,4"])) == []


# ----------------------------------------------------------------------------------------- Excel
def test_run_workbook_has_labelled_sheets(tmp_path):
    from openpyxl import load_workbook

    from sim.excel import run_workbook

    sim.run(small(), replications=2, seed=1).save(tmp_path)
    wb = load_workbook(run_workbook(tmp_path))
    assert wb.sheetnames == ["summary", "intervals", "target"]
    head = [c.value for c in wb["summary"][1]]
    assert head[:5] == ["group", "metric", "key", "unit", "mean"]
    keys = [r[2].value for r in wb["summary"].iter_rows(min_row=2)]
    sl_row = keys.index("service_level") + 2
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert wb["summary"].cell(sl_row, 5).value == pytest.approx(100 * summary["metrics"]["service_level"]["mean"])
    assert wb["summary"].cell(sl_row, 4).value == "%"
    iv_head = [c.value for c in wb["intervals"][1]]
    assert iv_head[2:5] == ["date", "weekday", "time"]
    col = iv_head.index("service_level_mean") + 1
    assert wb["intervals"].cell(2, col).number_format == "0.0%"


# ----------------------------------------------------------------------------------------- staff
def _erlang_c_sl(calls, aht, interval, n, t):
    """Independent Erlang C service level (textbook recursion on Erlang B)."""
    a = calls * aht / interval
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    c = n * b / (n - a * (1 - b))
    return 1 - c * math.exp(-(n - a) * t / aht)


def test_erlang_calculator_against_textbook_erlang_c():
    result = runner.invoke(app, ["staff", "--calls", "120", "--aht", "240", "--interval", "30"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    from staffing.calculator import erlang_calculator

    table = erlang_calculator(120, 240, 1800, {"service_level": 0.8, "service_time_s": 20})
    assert list(table["agents"]) == [18, 19, 20, 21, 22]
    for row in table.itertuples():
        assert row.service_level == pytest.approx(_erlang_c_sl(120, 240, 1800, row.agents, 20), rel=1e-9)
    assert _erlang_c_sl(120, 240, 1800, 19, 20) < 0.8 <= _erlang_c_sl(120, 240, 1800, 20, 20)
    assert table.attrs["required"] == 20 and table.loc[table["agents"] == 20, "binds"].item() == "service_level"
    assert list(table["meets"]) == [False, False, True, True, True]


def test_erlang_calculator_names_the_binding_target():
    from staffing.calculator import erlang_calculator

    table = erlang_calculator(120, 240, 1800, {"service_level": 0.8, "service_time_s": 20, "occupancy_max": 0.7})
    need = table.attrs["required"]
    assert need == math.ceil(16 / 0.7)  # occupancy 16/N <= 0.7 needs 23 > 20 for the SL
    assert table.loc[table["agents"] == need, "binds"].item() == "occupancy"


def test_calculator_rejects_bad_input():
    result = runner.invoke(app, ["staff", "--calls", "120"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    result = runner.invoke(app, ["staff", "--calls", "-1", "--aht", "200"], env={"COLUMNS": "200"})
    assert result.exit_code == 2


def test_staff_requirements_of_a_centre_closed_at_night_feed_schedule(tmp_path):
    rows = ["interval_start,calls"] + [f"2026-01-0{5 + d} {h:02d}:{m:02d},{20 + h}"
                                       for d in range(2) for h in range(8, 18) for m in (0, 30)]
    (tmp_path / "vol.csv").write_text("\n".join(rows) + "\n")
    r1 = runner.invoke(app, ["staff", str(tmp_path / "vol.csv"), "--aht", "240", "--out", str(tmp_path / "st"),
                             "--no-table"], env={"COLUMNS": "200"})
    assert r1.exit_code == 0, r1.output
    from staffing.cli_schedule import read_requirement_csv

    req, interval_s = read_requirement_csv(tmp_path / "st" / "requirements.csv")
    assert interval_s == 1800 and len(req) == 96  # two whole days of 30-min intervals
    assert req[:16].sum() == 0 and req[16] > 0 and req[36:64].sum() == 0  # closed 00:00-08:00 and 18:00-08:00
    assert req[16] == pd.read_csv(tmp_path / "st" / "requirements.csv")["agents"].iloc[0]


def test_chinese_scenario_names_render_without_missing_glyphs(tmp_path):
    """A scenario named and typed in Chinese: staff's plot and the zh report draw every glyph (matplotlib
    warns 'Glyph … missing' for a box; the warning is turned into an error here)."""
    import warnings

    path = tmp_path / "zh.toml"
    path.write_text('name = "物业客服中心"\nseed = 1\nreplications = 2\n[horizon]\ndays = 1\n[arrivals]\n'
                    'calls_per_hour = 20\n[call_types."报修"]\nshare = 1.0\ntalk = { family = "exponential", mean = 200 }\n'
                    '[agents]\nheadcount = 2\n[targets]\nservice_level = { min = 0.5 }\n', encoding="utf-8")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing")
        result = runner.invoke(app, ["staff", str(path), "--no-table", "--out", str(tmp_path / "st")],
                               env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        sim.run(sim.load_scenario(path), replications=2, seed=1).save(tmp_path / "run")
        from sim.report import build_report

        assert "物业客服中心" in build_report(tmp_path / "run", lang="zh").read_text(encoding="utf-8")


def test_tickets_replication_is_selectable_and_report_pools_desk_figures(tmp_path):
    sc = sim.load_scenario("scenarios/property_centre.toml").with_changes({"horizon.days": 2})
    from sim.desk.hook import DeskFactory

    out = tmp_path / "run"
    out.mkdir()
    res = sim.run(sc, replications=2, seed=4, desk_factory=DeskFactory(out, "new"))
    res.save(out)
    r1 = runner.invoke(app, ["tickets", str(out), "--replication", "1"], env={"COLUMNS": "200"})
    assert "tickets_rep1.sqlite" in r1.output and "replication 1)" in r1.output
    r0 = runner.invoke(app, ["tickets", str(out)], env={"COLUMNS": "200"})
    assert "tickets.sqlite" in r0.output.splitlines()[0]
    bad = runner.invoke(app, ["tickets", str(out), "--replication", "7"], env={"COLUMNS": "200"})
    assert bad.exit_code == 2 and "replications with a store: 0..1" in bad.output
    from sim.report import build_report

    page = build_report(out).read_text(encoding="utf-8")
    assert "Front-desk figures pooled over 2 replication(s)" in page


def test_scenario_lang_is_the_default_of_report_and_workbook(tmp_path):
    path = tmp_path / "zh.toml"
    path.write_text('name = "c"\nlang = "zh"\nseed = 1\nreplications = 2\n[horizon]\ndays = 1\n[arrivals]\n'
                    'calls_per_hour = 20\n[call_types.call]\nshare = 1.0\ntalk = { family = "exponential", mean = 200 }\n'
                    '[agents]\nheadcount = 2\n', encoding="utf-8")
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--report", "--excel"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "服务水平" in (out / "report.html").read_text(encoding="utf-8")
    from openpyxl import load_workbook

    assert load_workbook(out / "results.xlsx").sheetnames[0] == "汇总"
    result = runner.invoke(app, ["report", str(out), "--lang", "en"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "Service level" in (out / "report.html").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(path.read_text(encoding="utf-8").replace('lang = "zh"', 'lang = "fr"'), encoding="utf-8")
    result = runner.invoke(app, ["run", str(bad)], env={"COLUMNS": "200"})
    assert result.exit_code == 2 and "lang" in result.output


def test_average_day_band_is_the_run_summary_estimator_inside_the_domain():
    """The average day uses sim.confidence's ratio estimator: the band contains the estimate and stays in
    [0, 1] even for intervals with few calls (a plain t-interval leaves it there)."""
    from sim.heatmaps import average_day

    res = sim.run(small(), replications=4, seed=2)
    for metric in ("service_level", "abandon_rate", "occupancy"):
        day = average_day(res.intervals, res.scenario, metric).dropna()
        assert len(day) == 24
        assert ((day["ci_low"] >= 0) & (day["ci_high"] <= 1)).all(), metric
        assert ((day["ci_low"] <= day["mean"]) & (day["mean"] <= day["ci_high"])).all(), metric


def test_compare_says_when_agents_replaces_the_roster():
    from sim.compare import compare

    sc = sim.load_scenario("scenarios/property_centre.toml").with_changes({"horizon.days": 1})
    cmp = compare([sc], sets=["agents=6"], replications=2, seed=1)
    assert len(cmp.notes) == 1 and "replaces the scenario's shift roster" in cmp.notes[0]
    assert cmp.to_dict()["notes"] == cmp.notes
