"""Fuzz the scenario schema (hypothesis): random valid and invalid documents either run cleanly (one-day
horizon, one replication) or raise one ScenarioError — never any other exception."""
from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.scenario import METRIC_TARGET_NAMES, validate_scenario
from sim.workload import expected_calls

NASTY = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e-300, 1e300, float("inf"), float("nan"), "", "abc", "08:00", [], {}]),
    st.text(max_size=6), st.lists(st.integers(-3, 50), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(-2, 2), max_size=2),
)
SMALL = st.one_of(st.floats(0, 2), st.floats(0, 400), st.integers(0, 30))
VALUE = st.one_of(NASTY, SMALL, SMALL)          # sensible values twice as often as nasty ones

FAMILIES = ["exponential", "lognormal", "gamma", "erlang", "uniform", "deterministic", "empirical", "weibull"]
DIST = st.one_of(
    SMALL, NASTY,
    st.fixed_dictionaries({"family": st.sampled_from(FAMILIES)},
                          optional={k: VALUE for k in ("mean", "cv", "k", "low", "high", "samples", "csv")}),
)
TIME = st.one_of(st.sampled_from(["08:00", "12:00", "12:15", "17:30", "00:00", "24:00", "8h", "25:00"]), NASTY)
BREAK = st.fixed_dictionaries({"start": TIME, "minutes": VALUE}, optional={"paid": st.booleans()})
SHIFT = st.fixed_dictionaries({"start": TIME, "end": TIME},
                              optional={"count": VALUE, "breaks": st.lists(BREAK, max_size=3), "days": NASTY,
                                        "role": st.sampled_from(["agent", "night_duty", "boss"])})

FIELDS = {
    "horizon.days": VALUE, "horizon.interval_minutes": st.one_of(st.sampled_from([15, 30, 60, 7]), NASTY),
    "horizon.warmup_minutes": VALUE, "horizon.start_weekday": st.one_of(st.sampled_from(["mon", "sun", 6]), NASTY),
    "arrivals.calls_per_hour": VALUE, "arrivals.scale": VALUE,
    "arrivals.weekday_factor": st.dictionaries(st.sampled_from(["mon", "tue", "xyz"]), VALUE, max_size=2),
    "arrivals.calls_per_interval": st.lists(VALUE, max_size=3),
    "call_types.a.share": VALUE, "call_types.a.talk": DIST, "call_types.a.hold_prob": VALUE,
    "call_types.a.hold": DIST, "call_types.a.acw": DIST, "call_types.a.fcr": VALUE, "call_types.a.priority": VALUE,
    "call_types.a.transfer_prob": VALUE, "call_types.a.repeat_delay": DIST, "call_types.a.ivr_self_service": VALUE,
    "telephony.ring_cycle_s": VALUE, "telephony.trunks": VALUE, "telephony.pickup_rings": VALUE,
    "telephony.ivr": NASTY, "telephony.ivr_time": DIST,
    "callers.patience": DIST, "callers.redial_prob_abandon": VALUE, "callers.redial_delay": DIST,
    "callers.max_redials": VALUE,
    "transfers.destination": st.sampled_from(["department", "tier2", "moon"]), "transfers.tier2_agents": VALUE,
    "agents.headcount": VALUE, "agents.absenteeism": VALUE, "agents.adherence": VALUE,
    "agents.shifts": st.lists(SHIFT, max_size=2), "agents.handover_minutes": VALUE,
    "costs.agent_hourly": VALUE, "costs.fixed_daily": VALUE, "quality.score_mean": VALUE,
    "attrition.annual_rate": VALUE, "metrics.service_level_threshold_s": VALUE, "metrics.short_abandon_s": VALUE,
    "targets": st.dictionaries(st.sampled_from(sorted(METRIC_TARGET_NAMES) + ["servce_level"]),
                               st.fixed_dictionaries({}, optional={"min": VALUE, "max": VALUE}), max_size=3),
    "replications": VALUE, "seed": VALUE, "agnets": VALUE,
}


def base() -> dict:
    return {"horizon": {"days": 1, "interval_minutes": 60}, "arrivals": {"calls_per_hour": 10},
            "call_types": {"a": {"share": 1.0, "talk": {"family": "exponential", "mean": 120}}},
            "agents": {"headcount": 2}}


@st.composite
def documents(draw) -> dict:
    data = base()
    for path in draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=4, unique=True)):
        node = data
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = draw(FIELDS[path])
        if path == "agents.shifts":
            data["agents"].pop("headcount", None)
        if path == "arrivals.calls_per_interval":
            data["arrivals"].pop("calls_per_hour", None)
    return data


def _small_enough(sc) -> bool:
    """Run only documents that simulate quickly (validation alone covers the big ones)."""
    a = sc.agents
    people = (a.headcount or 0) + sum(s.count for s in a.shifts or []) + sc.transfers.tier2_agents
    return expected_calls(sc) <= 500 and people <= 50 and sc.horizon.days <= 2


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents())
def test_any_document_runs_cleanly_or_gives_one_scenario_error(data):
    try:
        sc = validate_scenario(data, source="fuzz.toml")
    except sim.ScenarioError as err:
        text = str(err)
        assert text.startswith("invalid scenario fuzz.toml") and "Traceback" not in text
        return
    if not _small_enough(sc):
        return
    try:
        res = sim.run(sc, replications=1, seed=1)
    except sim.ScenarioError:
        return
    assert math.isfinite(res.metric("total_calls"))


@settings(max_examples=100, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.binary(max_size=120),
                 st.text(max_size=120).map(lambda t: ("[arrivals]\ncalls_per_hour = 5\n" + t).encode("utf-8"))))
def test_any_file_content_loads_or_gives_one_scenario_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("fz") / "s.toml"
    path.write_bytes(content)
    try:
        sim.load_scenario(path)
    except sim.ScenarioError as err:
        assert str(path) in str(err)
