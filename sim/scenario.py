"""The whole scenario: validation, loading from TOML, derived workload and staffing targets."""
from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from sim.agents_config import Agents, ShiftSpec, BreakSpec
from sim.desk.config import DeskRules
from staffing.shifts.rules import ShiftRules
from sim.config import (WEEKDAYS, Arrivals, Attrition, Callers, CallType, Costs, Horizon, MetricOptions, Quality,
                        Section, Target, Telephony, Transfers, weekday_index)

METRIC_TARGET_NAMES = {
    "service_level", "asa", "abandon_rate", "occupancy", "avg_rings", "blocked_rate", "percent_answered", "aht",
    "avg_queue_time", "avg_abandon_time", "transfer_rate", "fcr", "queue_placement_rate", "calls_per_agent_hour",
    "adherence", "attendance", "cost_per_call", "total_calls", "avg_acw", "avg_hold_time", "avg_talk_time",
    "qa_score", "agent_turnover",
}


class ScenarioError(ValueError):
    """Invalid scenario: one message naming the file, the field and the allowed values."""


class Scenario(Section):
    """A call centre to simulate. Build with ``load_scenario(path)`` or ``Scenario.model_validate(dict)``."""

    name: str = "scenario"
    description: str = ""
    seed: int = Field(default=12345, ge=0, description="random seed (>= 0)")
    replications: int = Field(default=5, ge=1, le=10000, description="independent replications (1..10000)")
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

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, v):
        unknown = sorted(set(v) - METRIC_TARGET_NAMES)
        if unknown:
            raise ValueError(f"unknown target metric(s) {unknown}; allowed: {sorted(METRIC_TARGET_NAMES)}")
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
        n = self.horizon.intervals_per_day
        for name, values in (("arrivals.calls_per_interval", self.arrivals.calls_per_interval),
                             ("agents.headcount_per_interval", self.agents.headcount_per_interval)):
            if values is not None and len(values) not in (n, self.horizon.n_intervals):
                raise ValueError(f"{name} has {len(values)} values; expected {n} (one day of "
                                 f"{self.horizon.interval_minutes}-min intervals) or {self.horizon.n_intervals} "
                                 f"(the whole horizon)")
        for day, values in (self.arrivals.weekday_profile or {}).items():
            if len(values) != n:
                raise ValueError(f"arrivals.weekday_profile.{day} has {len(values)} values; expected {n}")
        if self.arrivals.weekday_profile is not None and "default" not in self.arrivals.weekday_profile:
            have = {weekday_index(k) for k in self.arrivals.weekday_profile}
            days = {(self.horizon.start_weekday + d) % 7 for d in range(self.horizon.days)}
            missing = sorted(days - have)
            if missing:
                raise ValueError("arrivals.weekday_profile lacks " + ", ".join(WEEKDAYS[m] for m in missing)
                                 + " (add them or a 'default' profile)")
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

    def _per_interval(self, values) -> np.ndarray:
        arr = np.asarray(values, dtype=float)
        if arr.size == self.horizon.intervals_per_day:
            arr = np.tile(arr, self.horizon.days)
        return arr

    def arrival_rates(self) -> np.ndarray:
        """Expected first-attempt calls per reporting interval over the horizon (all types, scaled)."""
        h, a = self.horizon, self.arrivals
        n_day = h.intervals_per_day
        if a.calls_per_hour is not None:
            rates = np.full(h.n_intervals, a.calls_per_hour * h.interval_s / 3600.0)
        elif a.calls_per_interval is not None:
            rates = self._per_interval(a.calls_per_interval)
        elif a.weekday_profile is not None:
            by_day = {("default" if k == "default" else weekday_index(k)): np.asarray(v, float)
                      for k, v in a.weekday_profile.items()}
            rates = np.concatenate([by_day.get((h.start_weekday + d) % 7, by_day.get("default"))
                                    for d in range(h.days)])
        else:
            rates = self._per_interval(self._read_csv_volumes())
        factors = np.ones(h.n_intervals)
        for day_name, f in a.weekday_factor.items():
            wd = weekday_index(day_name)
            for d in range(h.days):
                if (h.start_weekday + d) % 7 == wd:
                    factors[d * n_day:(d + 1) * n_day] = f
        return rates * factors * a.scale

    def _read_csv_volumes(self) -> np.ndarray:
        a = self.arrivals
        path = Path(a.csv)
        path = path if path.is_absolute() else self.base_dir / path
        if not path.exists():
            raise ScenarioError(f"arrivals.csv: file not found: {path}")
        frame = pd.read_csv(path)
        if a.csv_column not in frame.columns:
            raise ScenarioError(f"arrivals.csv: {path} has no column '{a.csv_column}' (has {list(frame.columns)})")
        values = frame[a.csv_column].to_numpy(dtype=float)
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
                                    role=getattr(row, "role", "agent")))
        agents = self.agents.model_copy(update={"shifts": shifts, "headcount": None,
                                                "headcount_per_interval": None})
        new = self.model_copy(update={"agents": agents})
        new._base_dir = self._base_dir
        return new

    def with_changes(self, changes: dict) -> "Scenario":
        """A validated copy with fields changed by dotted path, e.g. ``{"horizon.days": 2, "agents.headcount": 9}``.

        Setting ``agents.headcount`` or ``agents.rota`` replaces the other sources of agents."""
        import json

        data = json.loads(self.model_dump_json(exclude_none=True))
        for path, value in changes.items():
            node = data
            keys = path.split(".")
            for key in keys[:-1]:
                if not isinstance(node.get(key, {}), dict):
                    raise ScenarioError(f"cannot set {path}: '{key}' is not a section")
                node = node.setdefault(key, {})
            node[keys[-1]] = value
            if path in ("agents.headcount", "agents.rota"):   # one source of agents replaces the others
                for other in {"shifts", "headcount_per_interval", "headcount", "rota"} - {keys[-1]}:
                    node.pop(other, None)
        return validate_scenario(data, source=f"{self.name} with {changes}", base_dir=self.base_dir)

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
        if self.arrivals.csv is not None:  # read volumes now: a saved scenario then needs no file beside it
            update["arrivals"] = self.arrivals.model_copy(update={
                "csv": None, "calls_per_interval": self._read_csv_volumes().tolist()})
        new = self.model_copy(update=update)
        new._base_dir = base
        return new


def _format_validation_error(err: ValidationError, source: str) -> str:
    lines = [f"invalid scenario {source}:"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
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
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"scenario file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"scenario file {path} is not valid TOML: {err}") from None
    return validate_scenario(data, source=str(path), base_dir=path.resolve().parent)
