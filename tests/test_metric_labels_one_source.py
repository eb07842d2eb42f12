"""The run table's percent metrics and units come from sim.labels (one source with the reports and workbooks)."""
from __future__ import annotations

from sim.callbacks_metrics import CALLBACK_METRICS
from sim.cli_run import PERCENT, UNITS, format_value
from sim.labels import METRIC_LABELS, percent_metrics
from sim.metrics import COUNTS, EXTRA_METRICS, METRICS


def test_every_reported_metric_has_a_label():
    missing = [m for m in (*METRICS, *EXTRA_METRICS, *COUNTS, *CALLBACK_METRICS) if m not in METRIC_LABELS]
    assert missing == []


def test_run_table_formats_by_the_labels():
    for m, info in METRIC_LABELS.items():
        assert (m in PERCENT) == info[1].startswith("%"), m
    assert set(percent_metrics()) <= PERCENT
    # these read as plain fractions in the run table while the reports showed them in % (two tables disagreed)
    assert format_value("outbound_share", 0.25) == "25.0 %"
    assert format_value("counter.balk_rate", 0.05) == "5.0 %"
    assert UNITS["offered"] == "calls" and UNITS["asa"] == "s"
    assert UNITS["agent_turnover"] == "/yr (model)" and UNITS["expected_leavers"] == "heads (model)"
