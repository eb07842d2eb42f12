"""Reader of interval ACD reports (CSV): per interval and queue, counts and averages — not single calls.

Many centres can export only this: one row per reporting interval (and queue) with calls offered, answered,
abandoned, answered within X s, AHT and agents logged in. Columns are mapped like the CDR reader's
(``mapping`` / ``--map field=Column`` / a ``[map]`` TOML table); a field not mapped is looked for under its
own name:

==================  ==============================================================================
field               meaning
==================  ==============================================================================
interval_start      start of the interval (ISO 8601 with or without offset, or epoch; required)
queue               queue / call type (none: one type "calls")
offered             calls offered to the queue in the interval (required)
answered            calls answered
abandoned           calls abandoned
answered_within     calls answered within the service-level threshold (``threshold_s``)
aht                 average handle time of the answered calls, seconds or H:MM:SS
agents              agents logged in (mean over the interval)
==================  ==============================================================================

What calibration can do with it (and cannot): arrivals per weekday × interval — but *offered* includes
redials, which an interval report cannot separate from first attempts; mean handle time per type (no
distribution shape, no talk/hold/ACW split); caller patience only through a queueing model, e.g. the
Erlang-A patience mean that reproduces the abandonment observed with the reported agents (no censoring
information, no distribution shape); observed staffing as logged-in agents (paused time is not reported,
so agents ready may be lower). No redial, FCR or transfer estimates.

``IntervalReport.metrics()`` gives offered, answered, abandoned, service level (answered within
``threshold_s`` / offered: short abandons cannot be excluded), abandonment rate, AHT and agents per interval
and as ratios of sums over the period, under the names of ``sim.metrics``.
"""
from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.history.cdr import load_map, parse_durations, parse_times
from sim.history.observed import HistoryError, Problems
from sim.history.options import check_options
from sim.history.queue_log import open_text

FIELDS = ("interval_start", "queue", "offered", "answered", "abandoned", "answered_within", "aht", "agents")
COUNT_FIELDS = ("offered", "answered", "abandoned", "answered_within", "agents")
FORMAT = ("a CSV with a header row and one row per interval (and queue); map its columns with --map "
          f"FIELD=COLUMN (fields: {', '.join(FIELDS)}; 'interval_start' and 'offered' are required)")


@dataclass
class IntervalReport:
    """``table``: one row per interval and call type — interval_start (tz-aware), interval (index from
    ``start``), call_type, offered, answered, abandoned, answered_within, aht_s, agents (NaN: not reported)."""

    table: pd.DataFrame
    start: pd.Timestamp
    interval_minutes: int
    days: int
    call_types: list[str]
    threshold_s: float
    problems: Problems
    source: dict
    agents_across_queues: str = "max"
    notes: list[str] = field(default_factory=list)

    @property
    def n_intervals(self) -> int:
        return self.days * (1440 // self.interval_minutes)

    def interval_index(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=self.n_intervals, freq=f"{self.interval_minutes}min",
                             name="interval_start")

    def _per_interval(self, column: str, how: str = "sum") -> np.ndarray:
        t = self.table.dropna(subset=[column])
        out = np.full(self.n_intervals, np.nan if how == "max" else 0.0)
        if len(t):
            agg = t.groupby("interval")[column].agg(how)
            out[agg.index.to_numpy()] = agg.to_numpy()
        return out

    def interval_volumes(self) -> pd.Series:
        """Calls offered per interval (all queues; redials included), indexed by tz-aware interval start."""
        return pd.Series(self._per_interval("offered"), index=self.interval_index(), name="calls")

    def staffing_per_interval(self) -> pd.Series:
        """Agents logged in per interval: the maximum over queues (agents usually serve several queues;
        ``agents_across_queues="sum"`` adds them up instead). NaN where not reported."""
        return pd.Series(self._per_interval("agents", self.agents_across_queues), index=self.interval_index(),
                         name="agents_logged_in")

    def metrics(self) -> tuple[dict, pd.DataFrame]:
        """(period metrics, per-interval metrics): counts, service_level, abandon_rate, aht, agents_ready."""
        t = self.table
        sums = {c: self._per_interval(c) for c in ("offered", "answered", "abandoned", "answered_within")}
        have = {c: t[c].notna().any() for c in ("answered", "abandoned", "answered_within", "aht_s")}
        handle = (t["aht_s"] * t["answered"]).where(t["aht_s"].notna() & t["answered"].notna())
        t2 = t.assign(handle=handle)
        handle_s = np.zeros(self.n_intervals)
        if t2["handle"].notna().any():
            agg = t2.dropna(subset=["handle"]).groupby("interval")["handle"].sum()
            handle_s[agg.index.to_numpy()] = agg.to_numpy()
        agents = self.staffing_per_interval().to_numpy()

        def ratio(a, b):
            a, b = np.asarray(a, float), np.asarray(b, float)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)

        def values(s: dict, handle_total, agents_value) -> dict:
            blank = np.full(np.shape(s["offered"]), np.nan)
            pick = lambda ok, v: v if ok else blank  # noqa: E731 - a column the report lacks stays NaN
            return {
                "offered": s["offered"], "answered": pick(have["answered"], s["answered"]),
                "abandoned": pick(have["abandoned"], s["abandoned"]),
                "service_level": pick(have["answered_within"], ratio(s["answered_within"], s["offered"])),
                "abandon_rate": pick(have["abandoned"], ratio(s["abandoned"], s["offered"])),
                "percent_answered": pick(have["answered"], ratio(s["answered"], s["offered"])),
                "aht": pick(have["aht_s"] and have["answered"], ratio(handle_total, s["answered"])),
                "total_calls": s["offered"], "agents_ready": agents_value,
            }

        per = pd.DataFrame(values(sums, handle_s, agents))
        per.insert(0, "interval_start_s", np.arange(self.n_intervals) * self.interval_minutes * 60.0)
        per.insert(0, "interval", np.arange(self.n_intervals))
        totals = {k: np.nansum(v) if np.isfinite(v).any() else np.nan for k, v in sums.items()}
        period = values({k: np.asarray(v, float) for k, v in totals.items()}, float(handle_s.sum()),
                        float(np.nanmean(agents)) if np.isfinite(agents).any() else math.nan)
        return {k: float(v) for k, v in period.items()}, per


def read_interval_report(paths: str | Path | Iterable[str | Path], *, mapping: dict[str, str] | None = None,
                         map_file: str | Path | None = None, tz: str = "Asia/Shanghai",
                         interval_minutes: int | None = None, queue_map: dict[str, str] | None = None,
                         threshold_s: float = 20.0, agents_across_queues: str = "max",
                         delimiter: str = ",") -> IntervalReport:
    """Read interval report CSV file(s) (plain or .gz) into an ``IntervalReport`` (module docstring).
    ``interval_minutes``: the report's interval (default: the smallest gap between interval starts)."""
    check_options(tz=tz, interval_minutes=interval_minutes or 30, threshold_s=threshold_s)
    if agents_across_queues not in ("max", "sum"):
        raise HistoryError(f"agents_across_queues must be 'max' or 'sum', got {agents_across_queues!r}")
    given = (load_map(map_file) if map_file is not None else {}) | dict(mapping or {})
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        raise HistoryError(f"unknown interval-report field(s) {unknown}; fields: {', '.join(FIELDS)}")
    cols = {f: f for f in FIELDS} | given
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise HistoryError("no interval report file given")
    problems = Problems()
    frames = []
    have_all: dict[str, str] = {}
    for path in map(Path, items):
        if not path.exists():
            raise HistoryError(f"interval report not found: {path}")
        read_before, bad_before = problems.lines_read, problems.count
        with open_text(path) as handle:
            rows = csv.reader(handle, delimiter=delimiter)
            header = [h.strip() for h in next(rows, [])]
            have = {f: c for f, c in cols.items() if c in header}
            have_all |= have
            missing = [f"{f}={c}" for f, c in given.items() if c not in header] + [
                f"{f}={cols[f]}" for f in ("interval_start", "offered") if f not in have and f not in given]
            if missing:
                raise HistoryError(f"{path}: column(s) {missing} not in the header {header[:30]} — expected {FORMAT}")
            block, numbers = [], []
            for values in rows:
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                problems.lines_read += 1
                if len(values) != len(header):
                    problems.add(str(path), rows.line_num, f"{len(values)} fields, the header has {len(header)}",
                                 delimiter.join(values))
                    continue
                block.append({f: values[header.index(c)] for f, c in have.items()})
                numbers.append(rows.line_num)
        frame = pd.DataFrame(block, columns=list(have))
        reason = np.full(len(frame), "", dtype=object)
        out = pd.DataFrame(index=frame.index)
        out["t"], bad = parse_times(frame["interval_start"], tz)
        reason[bad | ~np.isfinite(out["t"].to_numpy())] = "interval_start is not an ISO 8601 date-time or epoch"
        for f in COUNT_FIELDS:
            if f in have:
                out[f] = pd.to_numeric(frame[f].str.strip().replace("", np.nan), errors="coerce")
                bad = frame[f].str.strip().ne("") & ~(out[f] >= 0)
                reason[bad.to_numpy() & (reason == "")] = f"{f} ({have[f]}) is not a number >= 0"
            else:
                out[f] = np.nan
        reason[~(out["offered"] >= 0).to_numpy() & (reason == "")] = "no offered count"
        if "aht" in have:
            out["aht_s"], bad = parse_durations(frame["aht"])
            reason[bad & (reason == "")] = f"aht ({have['aht']}) is not a duration (seconds or H:MM:SS)"
        else:
            out["aht_s"] = np.nan
        queue = frame["queue"].str.strip() if "queue" in have else pd.Series("calls", index=frame.index)
        out["call_type"] = [(queue_map or {}).get(q or "calls", q or "calls") for q in queue]
        for i in np.flatnonzero(reason != ""):
            problems.add(str(path), numbers[i], reason[i], delimiter.join(block[i].values()))
        read, nbad = problems.lines_read - read_before, problems.count - bad_before
        if read == 0 or nbad > 0.5 * read:
            shown = "; ".join(f"line {n}: {r}" for f, n, r, _ in problems.first[:3] if f == str(path))
            raise HistoryError(f"{path}: {nbad} of {read} rows could not be read — expected {FORMAT}"
                               + (f" ({shown})" if shown else ""))
        frames.append(out[reason == ""])
    table = pd.concat(frames, ignore_index=True)
    t = np.sort(table["t"].unique())
    if interval_minutes is None:
        gaps = np.diff(t)
        gaps = gaps[gaps > 0]
        interval_minutes = int(round(gaps.min() / 60)) if gaps.size else 30
        check_options(tz=tz, interval_minutes=interval_minutes)
    start = pd.Timestamp(t[0], unit="s", tz="UTC").tz_convert(tz).normalize()
    t0 = start.timestamp()
    step = interval_minutes * 60
    offset = (table["t"] - t0) / step
    off_grid = np.abs(offset - np.round(offset)) > 1e-6
    if off_grid.any():
        example = pd.Timestamp(table["t"][off_grid].iloc[0], unit="s", tz="UTC").tz_convert(tz)
        raise HistoryError(f"{int(off_grid.sum())} interval start(s) are not on a {interval_minutes}-min grid "
                           f"from midnight {tz} (e.g. {example})")
    table["interval"] = np.round(offset).astype(np.int64)
    days = int((t[-1] - t0) // 86400) + 1
    table.insert(0, "interval_start", pd.to_datetime(table.pop("t"), unit="s", utc=True).dt.tz_convert(tz))
    types = list(dict.fromkeys(table["call_type"]))
    table = table[["interval_start", "interval", "call_type", "offered", "answered", "abandoned",
                   "answered_within", "aht_s", "agents"]].sort_values(["interval", "call_type"]).reset_index(drop=True)
    notes = ["offered includes redials: first attempts cannot be told apart in an interval report",
             f"service level = answered within {threshold_s:g} s / offered (short abandons not excluded)",
             "agents_ready holds the agents logged in: the report does not give paused time"]
    return IntervalReport(table=table, start=start, interval_minutes=interval_minutes, days=days, call_types=types,
                          threshold_s=float(threshold_s), problems=problems,
                          source={"format": "interval", "files": [str(p) for p in items], "tz": tz,
                                  "columns": have_all},
                          agents_across_queues=agents_across_queues, notes=notes)


def save_interval_report(report: IntervalReport, out_dir: str | Path) -> Path:
    """Write a run folder (summary.json, scenario.json, intervals.csv, interval_summary.csv) with the metrics
    the report gives (the others NaN), plus staffing.csv, volumes.csv and observed.json."""
    import json

    from sim.metrics import COUNTS, METRICS
    from sim.results import Results
    from sim.runner import Replication
    from sim.scenario import validate_scenario

    run, per = report.metrics()
    for name in (*METRICS, *COUNTS):
        run.setdefault(name, math.nan)
        if name not in per:
            per[name] = np.nan
    offered = report.interval_volumes().to_numpy(dtype=float)
    by_type = report.table.groupby("call_type")["offered"].sum().reindex(report.call_types).to_numpy(float)
    shares = by_type / by_type.sum() if by_type.sum() > 0 else np.full(len(by_type), 1 / len(by_type))
    shares[-1] = 1.0 - shares[:-1].sum()
    aht = report.table.groupby("call_type")["aht_s"].mean().reindex(report.call_types)
    staff = np.rint(np.nan_to_num(report.staffing_per_interval().to_numpy())).astype(int).tolist()
    sc = validate_scenario({
        "name": f"observed {report.start.date()}", "replications": 1,
        "description": "interval report imported (" + ", ".join(Path(f).name for f in report.source["files"])
                       + "); handle times are reported means with a placeholder family",
        "horizon": {"days": report.days, "interval_minutes": report.interval_minutes,
                    "start_date": report.start.date().isoformat()},
        "arrivals": {"calls_per_interval": offered.tolist()},
        "call_types": {ct: {"share": float(shares[j]), "talk": {"family": "exponential", "mean": float(
            aht[ct]) if np.isfinite(aht[ct]) and aht[ct] > 0 else 1.0}} for j, ct in enumerate(report.call_types)},
        "agents": {"headcount_per_interval": staff},
        "metrics": {"service_level_threshold_s": report.threshold_s, "exclude_short_abandons": False},
    }, source="interval report")
    rep = Replication(0, run, per, pd.DataFrame(), pd.DataFrame(columns=["agent", "start", "end"]),
                      pd.DataFrame(columns=["kind", "ready", "due", "start", "end", "agent"]), {})
    out = Results.from_replications(sc, 0, [rep], keep_calls=False).save(out_dir)
    index = report.interval_index().map(pd.Timestamp.isoformat)
    info = {"source": report.source, "start": report.start.isoformat(), "days": report.days,
            "interval_minutes": report.interval_minutes, "call_types": report.call_types,
            "problems": report.problems.to_dict(), "notes": report.notes}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary["observed"] = info
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    pd.DataFrame({"interval_start": index, "agents_logged_in": report.staffing_per_interval().to_numpy()}).to_csv(
        out / "staffing.csv", index=False)
    pd.DataFrame({"interval_start": index, "calls": offered}).to_csv(out / "volumes.csv", index=False)
    (out / "observed.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return out
