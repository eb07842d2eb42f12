"""The streaming call log (``sim.streaming``): metrics folded in as calls finish equal the metrics computed on
the full call log of the same seed, and memory does not grow with the number of calls."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.bench_sim import scenario_full, scenario_mmcm
from sim.metrics import compute_metric_tables
from sim.model import CallCentreModel
from sim.runner import run, run_replication
from sim.scenario import load_scenario, validate_scenario
from sim.streaming import StreamingCallLog

# The sums add in another order (per folded batch), and the full-log path splits busy and waiting time over
# intervals as differences of cumulative sums over the whole run (rounding ~1e-16 x total seconds): agreement
# to 1e-6 relative is float rounding, while any call counted twice, lost or misfiled moves a metric by far more.
# Per interval the cumulative-sum rounding of the full-log path reaches ~1e-5 s of waiting on a 60-day run
# (~1e-8 callers of mean queue length), hence an absolute 1e-6 as well (a call moves a count by 1).
RTOL = 1e-6
ATOL = 1e-6


def _both(sc, seed: int, slots: int):
    full = compute_metric_tables(CallCentreModel(sc, seed).run(), sc, np.random.default_rng(7))
    log = StreamingCallLog(sc, slots=slots)
    streamed = compute_metric_tables(CallCentreModel(sc, seed, call_log=log).run(), sc, np.random.default_rng(7))
    return full, streamed, log


def _assert_same(full, streamed):
    assert full.run.keys() == streamed.run.keys()
    for key in full.run:
        assert streamed.run[key] == pytest.approx(full.run[key], rel=RTOL, abs=1e-9, nan_ok=True), key
    assert list(full.intervals.columns) == list(streamed.intervals.columns)
    np.testing.assert_allclose(streamed.intervals.to_numpy(float), full.intervals.to_numpy(float),
                               rtol=RTOL, atol=ATOL, equal_nan=True)
    np.testing.assert_allclose(streamed.interval_parts.to_numpy(float), full.interval_parts.to_numpy(float),
                               rtol=RTOL, atol=ATOL, equal_nan=True)


def test_every_feature_same_metrics_with_many_folds_and_settles():
    """IVR, hold, ACW, transfers to tier 2, repeats, redials, shifts with breaks, warm-up; tiny slots so that
    hundreds of folds happen, and a 1-day repeat window so that FCR is settled during the run."""
    d = scenario_full(30, 450.0, 4, 180.0, 120.0)
    d["horizon"]["warmup_minutes"] = 360
    d["metrics"] = {"repeat_window_days": 1.0}
    d["telephony"]["trunks"] = 32   # some busy signals (and redials after them)
    sc = validate_scenario(d)
    full, streamed, log = _both(sc, 11, slots=256)
    assert log.folds > 50 and log._settled_early
    assert 0.5 < full.run["fcr"] < 0.99 and full.run["transfer_rate"] > 0 and full.run["blocked_rate"] > 0
    _assert_same(full, streamed)


def test_example_without_desk_same_metrics():
    """The example centre (its [desk] section removed: the desk's tickets carry call ids, so a run with a desk
    keeps its call log)."""
    sc = load_scenario("scenarios/property_centre.toml")
    sc = validate_scenario(sc.model_dump(exclude={"desk"}) | {"desk": None}) if sc.desk is not None else sc
    _assert_same(*_both(sc.resolved(), 3, slots=128)[:2])


def test_long_run_same_metrics_and_bounded_memory():
    """60 days of 12 agents (~290 000 attempts): the slots stay at their size and the FCR memory holds about a
    repeat window of calls, not the run."""
    sc = validate_scenario(scenario_mmcm(12, 200.0, 60, 180.0, 120.0) | {"metrics": {"repeat_window_days": 2.0}})
    full, streamed, log = _both(sc, 5, slots=4096)
    _assert_same(full, streamed)
    assert log.attempts > 250_000
    assert log.capacity == 4096
    assert log.bytes_held() < 20 * log.attempts   # the full log holds > 100 bytes per attempt


def test_runner_keep_calls_false_streams_and_agrees():
    sc = validate_scenario(scenario_full(10, 150.0, 2, 180.0, 120.0))
    kept = run_replication(sc, 4, 0, keep_calls=True)
    streamed = run_replication(sc, 4, 0, keep_calls=False)
    assert streamed.calls.empty and len(kept.calls) > 1000
    for key in kept.run:
        assert streamed.run[key] == pytest.approx(kept.run[key], rel=RTOL, abs=1e-9, nan_ok=True), key


def test_streamed_results_identical_across_job_counts():
    sc = validate_scenario(scenario_mmcm(6, 80.0, 2, 180.0, 120.0))
    one = run(sc, replications=2, seed=9, jobs=1, keep_calls=False)
    two = run(sc, replications=2, seed=9, jobs=2, keep_calls=False)
    assert one.per_replication.equals(two.per_replication)
    assert one.intervals.equals(two.intervals)


def test_no_call_table():
    log = StreamingCallLog(validate_scenario(scenario_mmcm(2, 10.0, 1, 180.0, 120.0)))
    with pytest.raises(ValueError, match="keep_calls=True"):
        log.frame(["call"])


def test_workload_check_counts_the_streaming_log():
    """A year of a 1000-agent centre (~30 M calls) fits in 2 GiB without the call table, not with it."""
    from sim.workload import check_workload

    year = validate_scenario(scenario_mmcm(1000, 3500.0, 365, 180.0, 120.0))
    assert check_workload(year, 1, memory=2 << 30, streaming=True) == pytest.approx(3500 * 24 * 365)
    with pytest.raises(Exception, match="calls per replication"):
        check_workload(year, 1, memory=2 << 30)
