"""Call-detail CSV and interval-report readers: column maps, time formats, derived fields, bad rows."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.history import HistoryError, read_cdr, read_interval_report


def write(tmp_path, text, name="cdr.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CDR = """CallId,From,Skill,CallStart,AnswerTime,EndTime,Result,Queue_s,Talk,Hold,Wrap,Agent
a1,13800000001,repair,2024-03-04 09:00:00,2024-03-04 09:00:15,2024-03-04 09:05:15,ANSWERED,15,0:04:30,30,20,Li
a2,13800000002,billing,2024-03-04T01:10:00Z,,2024-03-04T01:11:00Z,Abandoned,60,,,,
a3,13800000002,billing,1709514900,,,missed,45,,,,
a4,13800000003,repair,2024-03-04T09:30:00+08:00,,,Answered,10,100,0,15,Wang
"""
MAP = {"call_id": "CallId", "caller_id": "From", "queue": "Skill", "arrived": "CallStart", "answered": "AnswerTime",
       "ended": "EndTime", "outcome": "Result", "wait": "Queue_s", "talk": "Talk", "hold": "Hold", "acw": "Wrap",
       "agent": "Agent"}


def secs(hh, mm=0, ss=0) -> float:
    return float(hh * 3600 + mm * 60 + ss)


def test_cdr_fields_times_and_derivations(tmp_path):
    log = read_cdr(write(tmp_path, CDR), mapping=MAP)
    c = log.calls
    assert log.start == pd.Timestamp("2024-03-04", tz="Asia/Shanghai") and log.problems.count == 0
    # naive local time, Z, epoch and +08:00 all land on the same clock
    assert c["arrive"].tolist() == [secs(9), secs(9, 10), secs(9, 15), secs(9, 30)]
    a1, a2, a3, a4 = (c.iloc[i] for i in range(4))
    assert (a1["answer"], a1["talk"], a1["hold"], a1["acw"], a1["talk_end"]) == (secs(9, 0, 15), 270, 30, 20,
                                                                                secs(9, 5, 15))
    assert a1["acw_end"] == secs(9, 5, 35) and log.agents[a1["agent"]] == "Li"
    assert a2["abandon"] == secs(9, 10) + 60 and a2["outcome"] == "abandoned"  # from the wait
    assert a3["abandon"] == secs(9, 15, 45) and a3["origin"] == "redial"  # same caller 5 min after an abandon
    assert a4["answer"] == secs(9, 30, 10) and a4["talk_end"] == secs(9, 30, 10) + 100  # answer = arrived + wait
    assert list(log.queue_exit) == ["answered", "abandon", "abandon", "answered"]
    assert "avg_acw" not in log.not_in_log and "avg_hold_time" not in log.not_in_log
    assert "occupancy" in log.not_in_log  # a CDR has no agent sessions


def test_cdr_map_file_and_defaults(tmp_path):
    toml = "[map]\n" + "\n".join(f'{k} = "{v}"' for k, v in MAP.items()) + "\n"
    from_file = read_cdr(write(tmp_path, CDR), map_file=write(tmp_path, toml, "map.toml"))
    from_args = read_cdr(write(tmp_path, CDR), mapping=MAP)
    pd.testing.assert_frame_equal(from_file.calls, from_args.calls)
    plain = "arrived,answered,talk\n2024-03-04 09:00:00,2024-03-04 09:00:05,50\n2024-03-04 09:01:00,,\n"
    log = read_cdr(write(tmp_path, plain, "plain.csv"), tz="UTC", acw_s=12)
    assert log.call_types == ["calls"] and log.calls["outcome"].tolist() == ["handled"]
    assert log.problems.count == 1 and "abandon time" in log.problems.first[0][2]  # unanswered, no time to leave
    assert log.calls["acw"][0] == 12 and "avg_acw" in log.not_in_log


def test_cdr_bad_rows_reported_by_line(tmp_path):
    rows = CDR + "a5,1,repair,yesterday,,,ANSWERED,1,1,,,\n" + "a6,1,repair,2024-03-04 10:00,,,ringing,5,,,,\n" \
        + "a7,1,repair\n" + "a8,1,repair,2024-03-04 10:00,,,ANSWERED,,,,,\n"
    log = read_cdr(write(tmp_path, rows), mapping=MAP)
    assert len(log.calls) == 4 and log.problems.count == 4
    lines = [n for _, n, _, _ in log.problems.first]
    assert lines == [6, 7, 8, 9]
    reasons = [r for _, _, r, _ in log.problems.first]
    assert "arrived" in reasons[0] and "outcome" in reasons[1] and "fields" in reasons[2]
    assert "answer time" in reasons[3]


def test_cdr_errors_name_the_format(tmp_path):
    with pytest.raises(HistoryError, match="not in the header"):
        read_cdr(write(tmp_path, CDR), mapping={"arrived": "Start"})
    with pytest.raises(HistoryError, match="unknown CDR field"):
        read_cdr(write(tmp_path, CDR), mapping={"arrival": "CallStart"})
    bad = "arrived\n" + "\n".join(["tomorrow"] * 5 + ["2024-03-04 09:00"]) + "\n"
    with pytest.raises(HistoryError, match="could not be read — expected a CSV"):
        read_cdr(write(tmp_path, bad, "bad.csv"))


def test_cdr_and_queue_log_of_the_generator_agree(tmp_path):
    """The generator writes both formats of the same calls: the two readers give the same call log."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from make_example_logs import write as write_examples

    from sim.history import read_queue_log

    write_examples(tmp_path, days=3, seed=11, gz=False)
    q = read_queue_log(tmp_path / "queue_log", acw_s=15)
    c = read_cdr(tmp_path / "cdr.csv", map_file=Path(__file__).resolve().parents[1] / "examples/history/cdr_map.toml")
    assert q.problems.count == 0 and c.problems.count == 0
    cols = ["arrive", "answer", "abandon", "talk_end", "talk", "acw_end", "transferred", "origin", "attempt"]
    a = q.calls.sort_values(["arrive", "caller"])[cols].reset_index(drop=True)
    b = c.calls.sort_values(["arrive", "caller"])[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert list(q.queue_exit.value_counts().sort_index()) == list(c.queue_exit.value_counts().sort_index())


REPORT = """Interval,Queue,Offered,Answered,Abandoned,AnsIn20,AHT,LoggedIn
2024-03-04 08:00,repair,10,9,1,8,0:03:00,3
2024-03-04 08:00,billing,5,5,0,5,120,2
2024-03-04 08:15,repair,12,10,2,7,200,4
2024-03-04 08:15,billing,many,5,0,5,120,2
"""
RMAP = {"interval_start": "Interval", "queue": "Queue", "offered": "Offered", "answered": "Answered",
        "abandoned": "Abandoned", "answered_within": "AnsIn20", "aht": "AHT", "agents": "LoggedIn"}


def test_interval_report(tmp_path):
    rep = read_interval_report(write(tmp_path, REPORT, "iv.csv"), mapping=RMAP)
    assert rep.interval_minutes == 15 and rep.days == 1 and rep.call_types == ["repair", "billing"]
    assert rep.problems.count == 1 and rep.problems.first[0][1] == 5
    vol = rep.interval_volumes()
    assert vol[pd.Timestamp("2024-03-04 08:00", tz="Asia/Shanghai")] == 15 and vol.sum() == 27
    staff = rep.staffing_per_interval()
    assert staff.iloc[32] == 3 and staff.iloc[33] == 4 and math.isnan(staff.iloc[0])
    run, per = rep.metrics()
    assert run["offered"] == 27 and run["service_level"] == pytest.approx(20 / 27)
    assert run["abandon_rate"] == pytest.approx(3 / 27)
    assert run["aht"] == pytest.approx((9 * 180 + 5 * 120 + 10 * 200) / 24)
    assert per.loc[32, "service_level"] == pytest.approx(13 / 15)
    summed = read_interval_report(write(tmp_path, REPORT, "iv.csv"), mapping=RMAP, agents_across_queues="sum")
    assert summed.staffing_per_interval().iloc[32] == 5


def test_interval_report_errors(tmp_path):
    with pytest.raises(HistoryError, match="not in the header"):
        read_interval_report(write(tmp_path, REPORT, "iv.csv"))  # default names absent
    off = "interval_start,offered\n2024-03-04 08:00,1\n2024-03-04 08:30,1\n2024-03-04 08:40,2\n"
    with pytest.raises(HistoryError, match="not on a 30-min grid"):
        read_interval_report(write(tmp_path, off, "off.csv"), interval_minutes=30)
    ok = read_interval_report(write(tmp_path, off.replace("08:40", "09:00"), "ok.csv"))
    assert ok.interval_minutes == 30 and np.nansum(ok.interval_volumes()) == 4
