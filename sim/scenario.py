"""The whole scenario: validation, loading from TOML, derived workload and staffing targets."""
from __future__ import annotations

import difflib
from typing import Literal
import math
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, PrivateAttr, ValidationError, field_validator, model_validator

from sim.agents_config import Agents, ShiftSpec, BreakSpec
from sim.callbacks_config import Callbacks
from sim.errors import ScenarioError  # noqa: F401 - re-exported (sim.scenario.ScenarioError)
from sim.inputs import check_file, read_csv, read_toml
from sim.desk.config import DeskRules
from sim.skills_config import Routing
from sim.counter_config import Counter
from staffing.shifts.rules import ShiftRules
from sim.config import (Arrivals, Attrition, Callers, CallType, Costs, Horizon, MetricOptions, Quality,
                        Section, Target, Telephony, Transfers, weekday_index)

METRIC_TARGET_NAMES = {
    "service_level", "asa", "abandon_rate", "occupancy", "avg_rings", "blocked_rate", "percent_answered", "aht",
    "avg_queue_time", "avg_abandon_time", "transfer_rate", "fcr", "queue_placement_rate", "calls_per_agent_hour",
    "adherence", "attendance", "cost_per_call", "total_calls", "avg_acw", "avg_hold_time", "avg_talk_time",
    "qa_score", "agent_turnover", "answered_within_rings", "overtime_hours",
}


def _target_domain(name: str) -> tuple[float, float | None, str]:
    """(low, high or None, what it is) of a target metric, from the one table of domains (sim.metric_domains)."""
    from sim.metric_domains import domain_of

    d = domain_of(name)
    high = d.high if math.isfinite(d.high) else None
    what = {1.0: "a share", 100.0: "a score or percentage 0..100"}.get(d.high, "a number >= 0")
    return d.low, high, what


class Scenario(Section):
    """A call centre to simulate. Build with ``load_scenario(path)`` or ``Scenario.model_validate(dict)``."""

    name: str = "scenario"
    description: str = ""
    seed: int = Field(default=12345, ge=0, description="random seed (>= 0)")
    replications: int = Field(default=5, ge=1, le=10000, description="independent replications (1..10000)")
    lang: Literal["en", "zh"] = Field(default="en", description="labels of reports, workbooks and figures: "
                                                               "en or zh (the CLI's --lang overrides)")
    horizon: Horizon = Field(default_factory=Horizon)
    arrivals: Arrivals
    call_types: dict[str, CallType] = Field(min_length=1)
    telephony: Telephony = Field(default_factory=Telephony)
    callers: Callers = Field(default_factory=Callers)
    transfers: Transfers = Field(default_factory=Transfers)
    agents: Agents
    costs: Costs = Field(default_factory=Costs)
    quality: Quality = Field(default_factory=Quality)
    attrition: Attrition = Field(default_factory=Attrition)
    metrics: MetricOptions = Field(default_factory=MetricOptions)
    targets: dict[str, Target] = Field(default_factory=dict)
    shift_rules: ShiftRules | None = Field(default=None, description="rules for the shift scheduler "
                                                                     "(acdsim schedule); defaults if absent")
    desk: DeskRules | None = Field(default=None, description="front-desk workflow rules; a [desk] table "
                                                             "(even empty) turns the ticket layer on")
    routing: Routing | None = Field(default=None, description="skill groups and routes (sim.skills_config); "
                                                              "none = one agent pool")
    counter: Counter | None = Field(default=None, description="walk-in visitors served by the phone staff "
                                                              "(sim.counter_config)")

    callbacks: Callbacks | None = Field(default=None, description="virtual hold: call-back offers to queued "
                                                                  "callers (sim.callbacks_config)")

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, v):
        unknown = sorted(set(v) - METRIC_TARGET_NAMES)
        if unknown:
            hint = "".join(f" ('{u}': did you mean '{m[0]}'?)" for u in unknown
                           if (m := difflib.get_close_matches(u, METRIC_TARGET_NAMES, n=1)))
            raise ValueError(f"unknown target metric(s) {unknown}{hint}; allowed: {sorted(METRIC_TARGET_NAMES)}")
        for name, target in v.items():
            low, high, what = _target_domain(name)
            for side in ("min", "max"):
                bound = getattr(target, side)
                if bound is not None and (bound < low or (high is not None and bound > high)):
                    allowed = f"[{low:g}, {high:g}]" if high is not None else f">= {low:g}"
                    raise ValueError(f"targets.{name}.{side} = {bound:g} is outside the metric's range {allowed} "
                                     f"({name} is {what}); such a target can never be met or never fail")
        return v

    @model_validator(mode="after")
    def _shares_sum_to_one(self):
        total = sum(ct.share for ct in self.call_types.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"call_types shares must sum to 1 (got {total:.6g})")
        if not self.telephony.ivr:
            bad = [n for n, ct in self.call_types.items() if ct.ivr_self_service > 0]
            if bad:
                raise ValueError(f"call_types {bad} have ivr_self_service > 0 but telephony.ivr is false")
        h = self.horizon
        h.check_per_interval("arrivals.calls_per_interval", self.arrivals.calls_per_interval)
        h.check_per_interval("agents.headcount_per_interval", self.agents.headcount_per_interval)
        h.check_weekday_lengths("arrivals.weekday_profile", self.arrivals.weekday_profile)
        if self.counter is not None:
            self.counter.check_horizon(h)
        h.check_weekdays_covered("arrivals.weekday_profile", self.arrivals.weekday_profile)
        if self.routing is not None:
            self.routing.check(self.type_names(), self.agents)
        elif any(s.group is not None for s in self.agents.shifts or []):
            raise ValueError("agents.shifts: a shift names a group but the scenario has no [routing] section")
        return self

    # ----------------------------------------------------------------------------------------------- derived
    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the scenario (CSV files) are read from."""
        return self._base_dir

    @property
    def shifts(self) -> ShiftRules | None:
        """The scheduler's rules (``[shift_rules]``), as ``staffing.shifts`` reads them."""
        return self.shift_rules

    @property
    def desk_enabled(self) -> bool:
        return self.desk is not None and self.desk.enabled

    def type_names(self) -> list[str]:
        return list(self.call_types)

    def arrival_rates(self) -> np.ndarray:
        """Expected first-attempt calls per reporting interval over the horizon (all types, scaled)."""
        h, a = self.horizon, self.arrivals
        n_day = h.intervals_per_day
        if a.calls_per_hour is not None:
            rates = np.full(h.n_intervals, a.calls_per_hour * h.interval_s / 3600.0)
        elif a.calls_per_interval is not None:
            rates = h.per_interval(a.calls_per_interval)
        elif a.weekday_profile is not None:
            rates = h.weekday_rates(a.weekday_profile)
        else:
            rates = h.per_interval(self._read_csv_volumes())
        factors = np.ones(h.n_intervals)
        for day_name, f in a.weekday_factor.items():
            wd = weekday_index(day_name)
            for d in range(h.days):
                if (h.start_weekday + d) % 7 == wd:
                    factors[d * n_day:(d + 1) * n_day] = f
        rates = rates * factors * a.scale
        if not a.poisson and np.any(np.abs(rates - np.rint(rates)) > 1e-9):
            raise ValueError("arrivals.poisson = false needs whole numbers of calls per interval "
                             "(after scale and weekday_factor)")
        return rates

    def _read_csv_volumes(self) -> np.ndarray:
        a = self.arrivals
        path = Path(a.csv)
        path = path if path.is_absolute() else self.base_dir / path
        frame = read_csv(path, "arrivals.csv file")
        if a.csv_column not in frame.columns:
            raise ScenarioError(f"arrivals.csv: {path} has no column '{a.csv_column}' (has {list(frame.columns)})")
        values = pd.to_numeric(frame[a.csv_column], errors="coerce").to_numpy(dtype=float)
        if np.any(~np.isfinite(values)) or np.any(values < 0):
            raise ScenarioError(f"arrivals.csv: column '{a.csv_column}' must hold finite numbers >= 0")
        if values.size not in (self.horizon.intervals_per_day, self.horizon.n_intervals):
            raise ScenarioError(f"arrivals.csv: {values.size} rows; expected {self.horizon.intervals_per_day} "
                                f"(one day) or {self.horizon.n_intervals} (the whole horizon)")
        return values

    def mean_handle_time_s(self) -> float:
        """Mix-weighted expected talk + hold + ACW of a handled call, seconds."""
        total = 0.0
        for ct in self.call_types.values():
            handle = ct.talk.expected() + ct.hold_prob * ct.hold.expected()
            handle += ct.acw.expected() if ct.acw is not None else 0.0
            total += ct.share * handle
        return total

    def workload(self) -> pd.DataFrame:
        """Expected offered calls and AHT per reporting interval (first attempts; redials not included)."""
        calls = self.arrival_rates()
        h = self.horizon
        ivr_share = sum(ct.share * ct.ivr_self_service for ct in self.call_types.values())
        return pd.DataFrame({
            "interval": np.arange(h.n_intervals),
            "interval_start_s": np.arange(h.n_intervals, dtype=float) * h.interval_s,
            "calls": calls * (1.0 - ivr_share),
            "aht_s": np.full(h.n_intervals, self.mean_handle_time_s()),
        })

    def staffing_targets(self) -> dict:
        """Targets in the form the staffing maths takes (see staffing.requirements)."""
        out: dict = {}
        t = self.targets
        if "service_level" in t and t["service_level"].min is not None:
            out["service_level"] = t["service_level"].min
            out["service_time_s"] = self.metrics.service_level_threshold_s
        if "asa" in t and t["asa"].max is not None:
            out["asa_s"] = t["asa"].max
        if "abandon_rate" in t and t["abandon_rate"].max is not None:
            out["abandon_rate"] = t["abandon_rate"].max
        if "occupancy" in t and t["occupancy"].max is not None:
            out["occupancy_max"] = t["occupancy"].max
        patience = self.callers.patience
        out["patience_mean_s"] = patience.expected() if patience is not None else None
        if patience is not None and self.metrics.exclude_short_abandons:
            out["short_abandon_s"] = self.metrics.short_abandon_s  # metrics #14 and #21 exclude them
        return out

    def with_roster(self, roster: pd.DataFrame) -> "Scenario":
        """A copy whose agents follow ``roster`` (columns template, day, start, end, breaks, count, role)."""
        need = {"template", "day", "start", "end", "breaks", "count"}
        missing = need - set(roster.columns)
        if missing:
            raise ScenarioError(f"roster lacks columns {sorted(missing)}")
        shifts = []
        for row in roster.itertuples(index=False):
            breaks = []
            text = "" if (row.breaks is None or (isinstance(row.breaks, float) and math.isnan(row.breaks))) \
                else str(row.breaks)
            for item in filter(None, text.split(";")):
                start, minutes = item.split("+")
                breaks.append(BreakSpec(start=start.strip(), minutes=float(minutes)))
            shifts.append(ShiftSpec(name=str(row.template), start=str(row.start), end=str(row.end),
                                    count=int(row.count), day=int(row.day), breaks=breaks,
                                    role=getattr(row, "role", "agent"), group=_group_of(row)))
        agents = self.agents.model_copy(update={"shifts": shifts, "headcount": None,
                                                "headcount_per_interval": None})
        new = self.model_copy(update={"agents": agents})
        new._base_dir = self._base_dir
        return new

    def with_changes(self, changes: dict) -> "Scenario":
        """A validated copy with fields changed by dotted path, e.g. ``{"horizon.days": 2, "agents.headcount": 9}``.

        Entries of a list are named by their ``name`` or position: ``agents.shifts.day.count``.
        Setting ``agents.headcount`` or ``agents.rota`` replaces the other sources of agents (see
        :meth:`replaces_roster`)."""
        import json

        data = json.loads(self.model_dump_json(exclude_none=True))
        for path, value in changes.items():
            node = data
            keys = path.split(".")
            for key in keys[:-1]:
                if isinstance(node, list):  # a list of named entries: agents.shifts.day.count or .0.count
                    node = _list_item(node, key, path)
                    continue
                if not isinstance(node.get(key, {}), (dict, list)):
                    raise ScenarioError(f"cannot set {path}: '{key}' is not a section")
                node = node.setdefault(key, {})
            if isinstance(node, list):
                raise ScenarioError(f"cannot set {path}: name an entry of the list, e.g. agents.shifts.day.count")
            node[keys[-1]] = value
            if path in ("agents.headcount", "agents.rota"):   # one source of agents replaces the others
                for other in {"shifts", "headcount_per_interval", "headcount", "rota"} - {keys[-1]}:
                    node.pop(other, None)
        return validate_scenario(data, source=f"{self.name} with {changes}", base_dir=self.base_dir)

    def replaces_roster(self, changes: dict) -> str | None:
        """A note when ``changes`` set ``agents.headcount`` on a scenario with shifts or a headcount profile."""
        if "agents.headcount" in changes and (self.agents.shifts or self.agents.headcount_per_interval):
            kind = "shift roster" if self.agents.shifts else "headcount profile"
            return (f"agents.headcount={changes['agents.headcount']} replaces the scenario's {kind} with a flat "
                    "headcount around the clock (no shifts, breaks or night duty)")
        return None

    def resolved(self) -> "Scenario":
        """Copy with empirical CSV distributions read into memory (relative to ``base_dir``)."""
        base = self.base_dir
        types = {n: ct.model_copy(update={k: getattr(ct, k).resolved(base)
                                          for k in ("talk", "hold", "repeat_delay")
                                          } | ({"acw": ct.acw.resolved(base)} if ct.acw else {}))
                 for n, ct in self.call_types.items()}
        callers = self.callers.model_copy(update={
            "redial_delay": self.callers.redial_delay.resolved(base),
            "patience": self.callers.patience.resolved(base) if self.callers.patience else None})
        update = {"call_types": types, "callers": callers}
        if self.counter is not None:
            update["counter"] = self.counter.resolved(base)
        if self.arrivals.csv is not None:  # read volumes now: a saved scenario then needs no file beside it
            update["arrivals"] = self.arrivals.model_copy(update={
                "csv": None, "calls_per_interval": self._read_csv_volumes().tolist()})
        new = self.model_copy(update=update)
        new._base_dir = base
        return new


def _group_of(row) -> str | None:
    """A roster row's skill group (optional ``group`` column; empty = the routing's default group)."""
    group = getattr(row, "group", None)
    return None if group is None or (isinstance(group, float) and math.isnan(group)) or group == "" else str(group)


def _list_item(items: list, key: str, path: str) -> dict:
    """The entry of ``items`` whose ``name`` is ``key`` (or at position ``key``)."""
    named = [item for item in items if isinstance(item, dict) and item.get("name") == key]
    if named:
        return named[0]
    if key.isdigit() and int(key) < len(items):
        return items[int(key)]
    names = [item.get("name") for item in items if isinstance(item, dict) and item.get("name")]
    raise ScenarioError(f"cannot set {path}: no entry named {key!r} (entries: {', '.join(names) or 'none'}; "
                        f"or a position 0..{len(items) - 1})")

def _section_keys(model: type, path: tuple) -> list[str]:
    """Field names of the section found by following ``path`` (a pydantic error location) from ``model``."""
    import types
    import typing

    def unwrap(tp):
        while typing.get_origin(tp) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)),
                      next((a for a in args if typing.get_origin(a) in (dict, list, tuple)), args[0]))
        return tp

    tp = model
    for part in path:
        tp = unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if part in tp.model_fields:
                tp = tp.model_fields[part].annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) in (list, tuple):
            tp = typing.get_args(tp)[0]
    tp = unwrap(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _format_validation_error(err: ValidationError, source: str) -> str:
    lines = [f"invalid scenario {source}:"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            keys = _section_keys(Scenario, tuple(e["loc"][:-1]))
            close = difflib.get_close_matches(str(e["loc"][-1]), keys, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            lines.append(f"  {loc}: unknown key{hint} (allowed here: {', '.join(keys)})" if keys
                         else f"  {loc}: unknown key")
            continue
        msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"  {loc}: {msg}" + (f" (got {e['input']!r})" if e["type"] not in (
            "value_error", "missing") and not isinstance(e.get("input"), dict) else ""))
    return "\n".join(lines)


def validate_scenario(data: dict, source: str = "<dict>", base_dir: Path | None = None) -> Scenario:
    """Validate a dict into a Scenario, turning every problem into one ScenarioError."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_validation_error(err, source)) from None
    scenario._base_dir = base_dir or Path.cwd()
    try:
        scenario = scenario.resolved()
        scenario.arrival_rates()
    except ScenarioError:
        raise
    except ValueError as err:
        raise ScenarioError(f"invalid scenario {source}: {err}") from None
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a TOML scenario file (relative CSV paths are read next to it)."""
    path = check_file(path, "scenario file")
    data = read_toml(path, "scenario file")
    return validate_scenario(data, source=str(path), base_dir=path.resolve().parent)
