"""Reader of call-detail CSV exports (one row per queue attempt, any ACD) into an ``ObservedLog``.

Columns are named by a mapping from the fields below to the file's own headers — ``--map arrived=CallStart``
on the command line, ``mapping={"arrived": "CallStart"}`` here, or a TOML file with a ``[map]`` table.
A field not mapped is looked for under its own name. Only ``arrived`` is required; the rest is used when
present:

==============  ===================================================================================
field           meaning
==============  ===================================================================================
call_id         the attempt's id (kept for reference only)
caller_id       the caller's number: repeated numbers mark redials (see ``sim.history.observed``)
queue           queue / skill / call type (mapped to call types by ``queue_map``; none: one type "calls")
arrived         time the call entered the queue (required)
answered        time an agent answered (empty: not answered)
ended           time the conversation ended (or the unanswered caller left)
abandoned       time an unanswered caller left
outcome         answered / handled / connected / completed / transferred, or abandoned / abandon /
                missed / no answer / hangup / exitwithkey, or timeout / exitwithtimeout, or
                exitempty / empty (case-insensitive); without it a call is answered iff it has an
                answer time (or a positive talk time)
wait            seconds in queue (to answer or to abandon)
talk            conversation seconds, hold excluded when ``hold`` is given
hold            seconds on hold during the call
acw             after-call work seconds (without it: the ``acw_s`` option, and the metric is 'not in log')
agent           agent who answered
transferred     1 / true / yes when the agent transferred the call
==============  ===================================================================================

Times: ISO 8601 with an offset ("2024-03-04T08:00:01+08:00", "…Z"), without one (local time in ``tz``,
default Asia/Shanghai), or epoch seconds. Durations: seconds or H:MM:SS. Missing times are derived when
possible (answer = arrived + wait; talk = ended − answer − hold; talk end = answer + hold + talk; abandon
= arrived + wait, else ended). A CDR has no agent sessions, so staffing and occupancy are not observed.
Each unusable row is counted with its line number; more than half unusable rows raise ``HistoryError``.
"""
from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from sim.history.builder import EXIT, CallBuilder, finish
from sim.history.observed import ALWAYS_NOT_IN_LOG, HistoryError, ObservedLog, Problems
from sim.history.options import check_options
from sim.history.queue_log import open_text

FIELDS = ("call_id", "caller_id", "queue", "arrived", "answered", "ended", "abandoned", "outcome", "wait", "talk",
          "hold", "acw", "agent", "transferred")
TIME_FIELDS = ("arrived", "answered", "ended", "abandoned")
DURATION_FIELDS = ("wait", "talk", "hold", "acw")
OUTCOMES = {**dict.fromkeys(("answered", "handled", "connected", "completed", "complete"), "answered"),
            "transferred": "transferred",
            **dict.fromkeys(("abandoned", "abandon", "missed", "no answer", "noanswer", "no_answer", "hangup",
                             "hung up"), "abandon"),
            **dict.fromkeys(("exitwithkey", "key"), "exitwithkey"),
            **dict.fromkeys(("timeout", "exitwithtimeout", "timed out"), "timeout"),
            **dict.fromkeys(("exitempty", "empty"), "empty")}
FORMAT = ("a CSV with a header row and one row per call attempt; map its columns with --map FIELD=COLUMN "
          f"(fields: {', '.join(FIELDS)}; 'arrived' is required)")
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
_EPOCH = re.compile(r"^\d+(\.\d*)?$")
_HMS = re.compile(r"^\d+:\d\d(:\d\d(\.\d*)?)?$")
_TRUE = {"1", "true", "yes", "y", "t"}
EPOCH0 = pd.Timestamp("1970-01-01", tz="UTC")


def load_map(path: str | Path) -> dict[str, str]:
    """The ``[map]`` table of a TOML file (field = "Column")."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise HistoryError(f"column map {path}: cannot read it as TOML ({err})") from None
    table = data.get("map")
    if not isinstance(table, dict):
        raise HistoryError(f"column map {path}: needs a [map] table of field = \"Column\" lines")
    return {str(k): str(v) for k, v in table.items()}


def _check_mapping(mapping: dict[str, str]) -> None:
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        raise HistoryError(f"unknown CDR field(s) {unknown} in the column map; fields: {', '.join(FIELDS)}")


def parse_times(values: pd.Series, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """(epoch seconds, bad mask) of ISO 8601 (with or without offset; naive = ``tz``) or epoch strings."""
    s = values.fillna("").astype(str).str.strip()
    out = np.full(len(s), np.nan)
    bad = np.zeros(len(s), dtype=bool)
    given = (s != "").to_numpy()
    epoch = s.str.match(_EPOCH).to_numpy() & given
    out[epoch] = s[epoch].astype(float).to_numpy()
    offset = s.str.contains(_OFFSET).to_numpy() & given & ~epoch
    naive = given & ~epoch & ~offset
    for mask, aware in ((offset, True), (naive, False)):
        if not mask.any():
            continue
        parsed = pd.to_datetime(s[mask], format="ISO8601", errors="coerce", utc=aware)
        if not aware:
            parsed = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        secs = ((parsed - EPOCH0) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)
        out[mask] = secs
        bad[mask] = ~np.isfinite(secs)
    return out, bad


def parse_durations(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(seconds, bad mask) of '123', '123.4' or 'H:MM:SS' strings; empty → NaN (not bad)."""
    s = values.fillna("").astype(str).str.strip()
    out = np.array(pd.to_numeric(s.where(~s.str.match(_HMS), ""), errors="coerce"), dtype=float)
    hms = s.str.match(_HMS).to_numpy()
    if hms.any():
        parts = s[hms].str.split(":")
        out[hms] = [sum(float(x) * 60 ** (len(p) - 1 - i) for i, x in enumerate(p)) for p in parts]
    bad = (s != "").to_numpy() & ~np.isfinite(out)
    bad |= np.isfinite(out) & (out < 0)
    return out, bad


class _Chunk:
    """Vectorised reading of one block of rows: every field as an array, a reason per bad row."""

    def __init__(self, frame: pd.DataFrame, cols: dict[str, str], tz: str):
        self.n = len(frame)
        self.reason = np.full(self.n, "", dtype=object)
        self.v: dict[str, np.ndarray] = {}
        for f in TIME_FIELDS:
            if f in cols:
                self.v[f], bad = parse_times(frame[cols[f]], tz)
                self._flag(bad, f"{f} ({cols[f]}) is not an ISO 8601 date-time or epoch seconds")
        for f in DURATION_FIELDS:
            if f in cols:
                self.v[f], bad = parse_durations(frame[cols[f]])
                self._flag(bad, f"{f} ({cols[f]}) is not a duration >= 0 (seconds or H:MM:SS)")
        for f in ("call_id", "caller_id", "queue", "agent", "outcome", "transferred"):
            if f in cols:
                self.v[f] = frame[cols[f]].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        self._flag(~np.isfinite(self.v["arrived"]), "no arrival time")

    def _flag(self, bad: np.ndarray, reason: str) -> None:
        self.reason[bad & (self.reason == "")] = reason

    def get(self, field: str) -> np.ndarray:
        return self.v.get(field, np.full(self.n, np.nan))


def read_cdr(paths: str | Path | Iterable[str | Path], *, mapping: dict[str, str] | None = None,
             map_file: str | Path | None = None, tz: str = "Asia/Shanghai", interval_minutes: int = 30,
             queue_map: dict[str, str] | None = None, acw_s: float = 0.0, redial_window_s: float = 3600.0,
             repeat_window_s: float = 0.0, ring_cycle_s: float = 6.0, delimiter: str = ",",
             chunk_rows: int = 100_000) -> ObservedLog:
    """Read call-detail CSV file(s) (plain or .gz) into an ``ObservedLog`` (see the module docstring)."""
    check_options(tz=tz, interval_minutes=interval_minutes, acw_s=acw_s, redial_window_s=redial_window_s,
                  repeat_window_s=repeat_window_s, ring_cycle_s=ring_cycle_s)
    cols = {f: f for f in FIELDS}
    given = (load_map(map_file) if map_file is not None else {}) | dict(mapping or {})
    _check_mapping(given)
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise HistoryError("no CDR file given")
    queue_map = dict(queue_map or {})
    builder = CallBuilder(sorted(set(queue_map.values())) if queue_map else None)
    problems = Problems()
    have: set[str] = set()
    last = -np.inf
    for path in map(Path, items):
        if not path.exists():
            raise HistoryError(f"CDR file not found: {path}")
        bad_before, read_before = problems.count, problems.lines_read
        with open_text(path) as handle:
            rows = csv.reader(handle, delimiter=delimiter)
            header = [h.strip() for h in next(rows, [])]
            file_cols = {f: c for f, c in (cols | given).items() if c in header}
            missing = sorted(f"{f}={c}" for f, c in given.items() if c not in header)
            if missing or "arrived" not in file_cols:
                raise HistoryError(f"{path}: column(s) {missing or ['arrived=' + (cols | given)['arrived']]} not "
                                   f"in the header {header[:30]} — expected {FORMAT}")
            have |= set(file_cols)
            used = sorted(set(file_cols.values()))
            where = [header.index(c) for c in used]
            block, numbers, pending = [], [], []
            for values in rows:
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                problems.lines_read += 1
                if len(values) != len(header):
                    pending.append((rows.line_num, f"{len(values)} fields, the header has {len(header)}",
                                    delimiter.join(values)))
                else:
                    block.append([values[j] for j in where])
                    numbers.append(rows.line_num)
                if len(block) >= chunk_rows or len(pending) >= chunk_rows:
                    last = max(last, _add_block(builder, block, numbers, pending, used, file_cols, tz, queue_map,
                                                float(acw_s), problems, str(path), delimiter))
                    block, numbers, pending = [], [], []
            last = max(last, _add_block(builder, block, numbers, pending, used, file_cols, tz, queue_map,
                                        float(acw_s), problems, str(path), delimiter))
        read, bad = problems.lines_read - read_before, problems.count - bad_before
        if read == 0 or bad > 0.5 * read:
            shown = "; ".join(f"line {n}: {r}" for f, n, r, _ in problems.first[:3] if f == str(path))
            raise HistoryError(f"{path}: {bad} of {read} rows could not be read — expected {FORMAT}"
                               + (f" ({shown})" if shown else ""))
    not_in = ALWAYS_NOT_IN_LOG + ("occupancy", "calls_per_agent_hour", "agents_ready") + tuple(
        m for f, m in (("hold", "avg_hold_time"), ("acw", "avg_acw")) if f not in have)
    notes = ["a CDR has no agent sessions: observed staffing and occupancy are not available"]
    if "acw" not in have:
        notes.append(f"after-call work is not in the CDR: ACW = {acw_s:g} s (option)")
    if "caller_id" not in have:
        notes.append("no caller id column: every attempt counts as a first attempt")
    columns = {f: c for f, c in (cols | given).items() if f in have}
    source = {"format": "cdr", "files": [str(p) for p in items], "tz": tz, "columns": columns,
              "queue_map": queue_map}
    return finish(builder, None, tz=tz, interval_minutes=interval_minutes, problems=problems, source=source,
                  end_epoch=float(last) if np.isfinite(last) else 0.0, ring_cycle_s=ring_cycle_s,
                  redial_window_s=redial_window_s, repeat_window_s=repeat_window_s, not_in_log=not_in, notes=notes)


def _add_block(builder: CallBuilder, block: list[list[str]], numbers: list[int], pending: list[tuple], used: list[str],
               cols: dict, tz: str, queue_map: dict, acw_s: float, problems: Problems, file: str,
               delimiter: str) -> float:
    """Derive answer/abandon/talk for every row of a block and append the good ones; report the bad ones (and
    the ``pending`` unsplittable lines) in line order; returns the last time."""
    if not block:
        for line_no, reason, text in pending:
            problems.add(file, line_no, reason, text)
        return -np.inf
    ch = _Chunk(pd.DataFrame(block, columns=used), cols, tz)
    arrive, answered_t, ended, abandoned_t = (ch.get(f) for f in TIME_FIELDS)
    wait, talk, hold, acw = (ch.get(f) for f in DURATION_FIELDS)
    if "outcome" in cols:
        kind = np.array([OUTCOMES.get(o.lower(), "?") for o in ch.v["outcome"]], dtype=object)
        unknown = kind == "?"
        ch._flag(unknown, f"outcome ({cols['outcome']}) is not one of {sorted(set(OUTCOMES))}")
    else:
        kind = np.where(np.isfinite(answered_t) | (np.nan_to_num(talk) > 0), "answered", "abandon").astype(object)
    is_answered = np.isin(kind, ("answered", "transferred"))
    hold0 = np.nan_to_num(hold)
    answer = np.where(np.isfinite(answered_t), answered_t, arrive + wait)
    talk_s = np.where(np.isfinite(talk), talk, ended - answer - hold0)
    talk_end = np.where(np.isfinite(ended), ended, answer + hold0 + talk_s)
    ch._flag(is_answered & ~np.isfinite(answer), "answered call without an answer time or a wait")
    ch._flag(is_answered & ~np.isfinite(talk_s), "answered call without a talk time or an end time")
    ch._flag(is_answered & np.isfinite(answer) & (answer < arrive), "answered before it arrived")
    leave = np.where(np.isfinite(abandoned_t), abandoned_t, np.where(np.isfinite(wait), arrive + wait, ended))
    ch._flag(~is_answered & ~np.isfinite(leave), "unanswered call without an abandon time, a wait or an end time")
    ch._flag(~is_answered & np.isfinite(leave) & (leave < arrive), "left before it arrived")
    acw_s_arr = np.where(np.isfinite(acw), acw, acw_s)
    transferred = (kind == "transferred")
    if "transferred" in cols:
        transferred |= np.array([t.lower() in _TRUE for t in ch.v["transferred"]])
    caller = ch.v.get("caller_id", np.full(ch.n, "", dtype=object))
    queue = ch.v.get("queue", np.full(ch.n, "calls", dtype=object))
    agent = ch.v.get("agent", np.full(ch.n, "", dtype=object))
    log, exits = builder.log, builder.exit
    bad = sorted(pending + [(numbers[i], ch.reason[i], delimiter.join(block[i]))
                            for i in np.flatnonzero(ch.reason != "")])
    for line_no, reason, text in bad:
        problems.add(file, line_no, reason, text)
    last = -np.inf
    for i in range(ch.n):
        if ch.reason[i]:
            continue
        q = queue[i] or "calls"
        row = builder.new(caller[i], queue_map.get(q, q), float(arrive[i]))
        if is_answered[i]:
            log.answer[row] = answer[i]
            log.talk[row] = max(talk_s[i], 0.0)
            log.hold[row] = hold0[i]
            log.talk_end[row] = talk_end[i]
            log.acw[row] = acw_s_arr[i]
            log.acw_end[row] = talk_end[i] + acw_s_arr[i]
            log.outcome[row] = 4
            log.transferred[row] = bool(transferred[i])
            log.agent[row] = builder.agent(agent[i]) if agent[i] else -1
            exits[row] = EXIT["answered"]
            end = talk_end[i] + acw_s_arr[i]
        else:
            log.abandon[row] = leave[i]
            log.outcome[row] = 3
            exits[row] = EXIT[kind[i]]
            end = leave[i]
        last = max(last, end)
    return last
