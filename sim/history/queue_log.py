"""Reader of Asterisk's ``queue_log`` (Asterisk, FreePBX, Issabel…) into an ``ObservedLog``.

Format (Asterisk documentation, "Queue Logs", https://docs.asterisk.org/Operation/Logging/Queue-Logs/, and
``apps/app_queue.c``): one event per line, ``epoch|uniqueid|queue|agent|event|data1|data2|…`` — UNIX time,
the caller channel's unique id (or NONE), the queue name (or NONE), the member interface (or NONE), the event
and its parameters. A database export whose first field is a date-time ("2024-03-04 08:00:01[.ffffff]",
in ``tz`` unless it carries an offset) is read too; files may be gzipped (``.gz``).

Events and the parameters used (times are the line's timestamp; ``waittime`` etc. are seconds):

======================  ================================================  =========================================
event                   data                                              becomes
======================  ================================================  =========================================
ENTERQUEUE              url|callerid|position                             a new attempt: arrive = enqueue; caller id
CONNECT                 holdtime|bridgedchanneluniqueid|ringtime          answer, agent (queue_exit "answered")
COMPLETECALLER / -AGENT holdtime|calltime|origposition                    talk = calltime, talk_end, handled
TRANSFER                extension|context|holdtime|calltime|origposition  as COMPLETE*, transferred
ATTENDEDTRANSFER        method|method-data|holdtime|calltime|origposition as TRANSFER (Asterisk 12+)
BLINDTRANSFER           extension|context|holdtime|calltime|origposition  as TRANSFER (Asterisk 12+)
ABANDON                 position|origposition|waittime                    abandon (caller hung up: a patience)
EXITWITHKEY             key|position|origposition|waittime                abandon (caller left by key: a patience)
EXITWITHTIMEOUT         position|origposition|waittime                    abandon time, exit "timeout" (censored)
EXITEMPTY               position|origposition|waittime                    abandon time, exit "empty" (censored)
RINGNOANSWER            ringtime (ms)                                     counted (the member did not pick up)
ADDMEMBER / REMOVEMEMBER                                                  member logs into / out of the queue
AGENTLOGIN / AGENTLOGOFF channel / channel|logintime                      agent logged in / out (all queues)
PAUSE / UNPAUSE         reason                                            paused in the queue (NONE: all queues)
PAUSEALL / UNPAUSEALL   reason                                            paused in all queues
QUEUESTART                                                                PBX (re)start: calls in progress end
CONFIGRELOAD                                                              nothing (configuration reloaded)
======================  ================================================  =========================================

Conventions (see ``sim.history.observed`` for the call-log columns): a call is keyed by its unique id; a
call that re-enters a queue after a TRANSFER records its second queue in the ``t2_*`` columns (the
simulator's tier-2 columns). Events of a call that began before the log (CONNECT, COMPLETE*, ABANDON … with
no ENTERQUEUE) start the row from the event's own holdtime / waittime / calltime, with no caller id; a
QUEUESTART ends waiting calls (exit "lost", censored) and talking calls (talk ends at the restart). Agents
still logged in at the end are logged out at the last event; queue_log has no hold or after-call work:
hold is 0 and ACW is the ``acw_s`` option, and both metrics are listed as not in the log. Every line that
cannot be read is counted with its line number (``ObservedLog.problems``); more than half unreadable lines
in a file raise ``HistoryError`` naming the expected format.
"""
from __future__ import annotations

import datetime
import gzip
import math
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

from sim.history.builder import EXIT, CallBuilder, SessionTracker, finish
from sim.history.observed import ALWAYS_NOT_IN_LOG, HistoryError, ObservedLog, Problems

FORMAT = ("Asterisk queue_log lines 'epoch|uniqueid|queue|agent|event|data…' "
          "(e.g. '1709510400|1709510400.17|support|SIP/8001|CONNECT|12|1709510412.18|3')")
IGNORED = {"DID", "SYSCOMPAT", "RINGCANCELED", "AGENTDUMP", "INFO", "CONFIGRELOAD"}
_EVENT = re.compile(r"^[A-Z_]+$")
STAGE_QUEUE, STAGE_TALK, STAGE_TRANSFERRED, STAGE_T2_QUEUE, STAGE_T2_TALK = range(5)


def open_text(path: Path):
    """Text lines of a plain or gzipped file (undecodable bytes replaced, then reported as malformed)."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def _paths(paths) -> list[Path]:
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    out = [Path(p) for p in items]
    if not out:
        raise HistoryError("no queue_log file given")
    for p in out:
        if not p.exists():
            raise HistoryError(f"queue_log file not found: {p}")
    return out


def _num(parts: list[str], i: int) -> float | None:
    try:
        v = float(parts[i])
    except (IndexError, ValueError):
        return None
    return v if math.isfinite(v) else None


class _Reader:
    """State of one import: open calls by unique id, the call builder and the session tracker."""

    def __init__(self, tz: str, queue_map: dict[str, str], acw_s: float):
        self.zone = ZoneInfo(tz)
        self.queue_map = queue_map
        self.acw_s = acw_s
        self.calls = CallBuilder(sorted(set(queue_map.values())) if queue_map else None)
        self.sessions = SessionTracker()
        self.open: dict[str, list] = {}  # uniqueid -> [row, stage]
        self.events: Counter = Counter()
        self.unknown: Counter = Counter()
        self.notes: Counter = Counter()
        self.last = -math.inf

    def time(self, text: str) -> float | None:
        try:
            return float(text)
        except ValueError:
            pass
        try:
            dt = datetime.datetime.fromisoformat(text.strip())
        except ValueError:
            return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.zone)
        return dt.timestamp()

    # ---------------------------------------------------------------- calls
    def _row(self, uid: str, queue: str, t_arrive: float | None, note: str) -> list | None:
        entry = self.open.get(uid)
        if entry is not None:
            return entry
        if t_arrive is None:
            return None
        self.notes[note] += 1
        row = self.calls.new("", self.queue_map.get(queue, queue), t_arrive)
        entry = self.open[uid] = [row, STAGE_QUEUE]
        return entry

    def enter(self, uid: str, queue: str, t: float, caller: str) -> None:
        entry = self.open.get(uid)
        log = self.calls.log
        if entry is not None:
            if entry[1] == STAGE_TRANSFERRED:  # transferred into a second queue: the tier-2 columns
                log.t2_enqueue[entry[0]] = t
                entry[1] = STAGE_T2_QUEUE
                return
            self.notes["call entered a queue again without leaving the first (first entry: exit 'lost')"] += 1
            self._end_wait(entry, t, "lost")
        row = self.calls.new(caller, self.queue_map.get(queue, queue), t)
        self.open[uid] = [row, STAGE_QUEUE]

    def connect(self, uid: str, queue: str, agent: str, t: float, hold: float | None) -> None:
        entry = self._row(uid, queue, None if hold is None else t - hold, "CONNECT of a call that entered before "
                                                                          "the log (no caller id)")
        if entry is None:
            raise ValueError("CONNECT without ENTERQUEUE needs a numeric holdtime")
        row, stage = entry
        log = self.calls.log
        if stage == STAGE_T2_QUEUE:
            log.t2_answer[row] = t
            entry[1] = STAGE_T2_TALK
            return
        log.answer[row] = t
        log.agent[row] = self.calls.agent(agent)
        self.calls.exit[row] = EXIT["answered"]
        entry[1] = STAGE_TALK

    def complete(self, uid: str, queue: str, agent: str, t: float, hold: float | None, talk: float | None,
                 transferred: bool) -> None:
        start = None if hold is None or talk is None else t - talk - hold
        entry = self._row(uid, queue, start, "call completed that began before the log (no caller id)")
        if entry is None:
            raise ValueError("call end without ENTERQUEUE needs numeric holdtime and calltime")
        row, stage = entry
        log = self.calls.log
        if stage in (STAGE_T2_QUEUE, STAGE_T2_TALK, STAGE_TRANSFERRED):
            if stage != STAGE_TRANSFERRED:
                log.t2_end[row] = t
            del self.open[uid]
            return
        if stage == STAGE_QUEUE:  # no CONNECT seen: answered calltime before the end
            log.answer[row] = t - (talk or 0.0)
            log.agent[row] = self.calls.agent(agent)
            self.calls.exit[row] = EXIT["answered"]
        self._end_talk(row, t, talk)
        if transferred:
            log.transferred[row] = 1
            entry[1] = STAGE_TRANSFERRED
        else:
            del self.open[uid]

    def _end_talk(self, row: int, t: float, talk: float | None) -> None:
        log = self.calls.log
        log.talk[row] = talk if talk is not None else max(t - log.answer[row], 0.0)
        log.hold[row] = 0.0
        log.talk_end[row] = t
        log.acw[row] = self.acw_s
        log.acw_end[row] = t + self.acw_s
        log.outcome[row] = 4  # handled

    def _end_wait(self, entry: list, t: float, why: str) -> None:
        row, stage = entry
        log = self.calls.log
        if stage in (STAGE_T2_QUEUE, STAGE_T2_TALK):
            log.t2_end[row] = t
            return
        log.abandon[row] = t
        log.outcome[row] = 3  # abandoned
        self.calls.exit[row] = EXIT[why]

    def leave(self, uid: str, queue: str, t: float, wait: float | None, why: str) -> None:
        entry = self._row(uid, queue, None if wait is None else t - wait, "caller left a queue entered before "
                                                                          "the log (no caller id)")
        if entry is None:
            raise ValueError("exit without ENTERQUEUE needs a numeric waittime")
        if entry[1] in (STAGE_TALK, STAGE_TRANSFERRED):
            raise ValueError("a connected call cannot leave the queue unanswered")
        self._end_wait(entry, t, why)
        del self.open[uid]

    def restart(self, t: float) -> None:
        log = self.calls.log
        for uid, entry in list(self.open.items()):
            row, stage = entry
            if stage == STAGE_QUEUE or stage == STAGE_T2_QUEUE:
                self._end_wait(entry, t, "lost")
            elif stage == STAGE_TALK:
                self._end_talk(row, t, None)
            elif stage == STAGE_T2_TALK:
                log.t2_end[row] = t
            del self.open[uid]
        self.notes["QUEUESTART (PBX restart) events; calls in progress end at a restart"] += 1

    # ---------------------------------------------------------------- one line
    def line(self, parts: list[str], t: float) -> None:
        event = parts[4]
        uid, queue, agent = parts[1], parts[2], parts[3]
        if event == "ENTERQUEUE":
            self.enter(uid, queue, t, parts[6] if len(parts) > 6 else "")
        elif event == "CONNECT":
            self.connect(uid, queue, agent, t, _num(parts, 5))
        elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
            self.complete(uid, queue, agent, t, _num(parts, 5), _num(parts, 6), False)
        elif event in ("TRANSFER", "ATTENDEDTRANSFER", "BLINDTRANSFER"):
            self.complete(uid, queue, agent, t, _num(parts, 7), _num(parts, 8), True)
        elif event == "ABANDON":
            self.leave(uid, queue, t, _num(parts, 7), "abandon")
        elif event == "EXITWITHKEY":
            self.leave(uid, queue, t, _num(parts, 8), "exitwithkey")
        elif event == "EXITWITHTIMEOUT":
            self.leave(uid, queue, t, _num(parts, 7), "timeout")
        elif event == "EXITEMPTY":
            self.leave(uid, queue, t, _num(parts, 7), "empty")
        elif event == "RINGNOANSWER":
            if _num(parts, 5) is None:
                raise ValueError("RINGNOANSWER needs a numeric ringtime (ms)")
        elif event == "ADDMEMBER":
            self.sessions.add_member(self.calls.agent(agent), queue, t)
        elif event == "REMOVEMEMBER":
            self.sessions.remove_member(self.calls.agent(agent), queue, t)
        elif event in ("AGENTLOGIN", "AGENTCALLBACKLOGIN"):
            self.sessions.login(self.calls.agent(agent), t, True)
        elif event in ("AGENTLOGOFF", "AGENTCALLBACKLOGOFF"):
            self.sessions.login(self.calls.agent(agent), t, False)
        elif event in ("PAUSE", "UNPAUSE"):
            q = None if queue in ("NONE", "") else queue
            self.sessions.pause(self.calls.agent(agent), q, t, event == "PAUSE")
        elif event in ("PAUSEALL", "UNPAUSEALL"):
            self.sessions.pause(self.calls.agent(agent), None, t, event == "PAUSEALL")
        elif event == "QUEUESTART":
            self.restart(t)
        elif event in IGNORED:
            pass
        else:
            self.unknown[event] += 1
            return
        self.events[event] += 1


def _first_time(path: Path, reader: _Reader) -> float:
    """Timestamp of the first readable line among the first 100 (inf if none)."""
    with open_text(path) as handle:
        for _, line in zip(range(100), handle):
            t = reader.time(line.split("|", 1)[0])
            if t is not None:
                return t
    return math.inf


def read_queue_log(paths: str | Path | Iterable[str | Path], *, tz: str = "Asia/Shanghai",
                   interval_minutes: int = 30, queue_map: dict[str, str] | None = None, acw_s: float = 0.0,
                   redial_window_s: float = 3600.0, repeat_window_s: float = 0.0,
                   ring_cycle_s: float = 6.0) -> ObservedLog:
    """Read one or more queue_log files (plain or .gz; read in the order of their first timestamps, so rotated
    files may be given in any order) into an ``ObservedLog``.

    ``tz``: time zone of the centre (day boundaries, reports; date-time fields without offset);
    ``queue_map``: queue name → call type (unmapped queues are call types of their own name);
    ``acw_s``: after-call work per handled call, seconds (queue_log does not record it);
    ``redial_window_s`` / ``repeat_window_s``: see ``sim.history.observed`` (origin)."""
    from sim.history.options import check_options

    check_options(tz=tz, interval_minutes=interval_minutes, acw_s=acw_s, redial_window_s=redial_window_s,
                  repeat_window_s=repeat_window_s, ring_cycle_s=ring_cycle_s)
    files = _paths(paths)
    reader = _Reader(tz, dict(queue_map or {}), float(acw_s))
    ordered = sorted(files, key=lambda p: _first_time(p, reader))  # rotated logs given newest first
    if ordered != files:
        reader.notes["files read in time order: " + ", ".join(p.name for p in ordered)] += 1
        files = ordered
    problems = Problems()
    for path in files:
        bad_before, read_before = problems.count, problems.lines_read
        with open_text(path) as handle:
            for line_no, line in enumerate(handle, 1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                problems.lines_read += 1
                parts = line.split("|")
                if len(parts) < 5:
                    problems.add(str(path), line_no, "fewer than 5 '|'-separated fields", line)
                    continue
                t = reader.time(parts[0])
                if t is None:
                    problems.add(str(path), line_no, f"timestamp {parts[0][:30]!r} is not epoch seconds or "
                                                     "an ISO date-time", line)
                    continue
                if not _EVENT.match(parts[4]):
                    problems.add(str(path), line_no, f"event {parts[4][:30]!r} is not an event name", line)
                    continue
                try:
                    reader.line(parts, t)
                except ValueError as err:
                    problems.add(str(path), line_no, str(err), line)
                    continue
                if t > reader.last:
                    reader.last = t
        read = problems.lines_read - read_before
        bad = problems.count - bad_before
        if read == 0 or bad > 0.5 * read:
            shown = "; ".join(f"line {n}: {r}" for f, n, r, _ in problems.first[:3] if f == str(path))
            raise HistoryError(f"{path}: {bad} of {read} lines could not be read — expected {FORMAT}"
                               + (f" ({shown})" if shown else ""))
    notes = [f"{text}: {n}" for text, n in reader.notes.items()]
    if reader.unknown:
        notes.append("events not used: " + ", ".join(f"{e} ({n})" for e, n in reader.unknown.most_common()))
    never_logged = sum(1 for code in set(reader.calls.log.agent[:reader.calls.log.n]) if code >= 0
                       and not reader.sessions.is_known(code))
    if never_logged:
        notes.append(f"{never_logged} agent(s) answered calls without any login/pause event (static queue "
                     "members?): their time is not in the observed staffing")
    notes.append(f"hold time and after-call work are not in queue_log: hold = 0, ACW = {acw_s:g} s (option)")
    source = {"format": "queue_log", "files": [str(p) for p in files], "tz": tz,
              "events": dict(reader.events), "queue_map": dict(queue_map or {})}
    return finish(reader.calls, reader.sessions, tz=tz, interval_minutes=interval_minutes, problems=problems,
                  source=source, end_epoch=reader.last if math.isfinite(reader.last) else 0.0,
                  ring_cycle_s=ring_cycle_s, redial_window_s=redial_window_s, repeat_window_s=repeat_window_s,
                  not_in_log=ALWAYS_NOT_IN_LOG + ("avg_hold_time", "avg_acw"), notes=notes)
