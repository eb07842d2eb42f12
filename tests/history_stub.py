"""A simulated run dressed as an observed history (known parameters) for calibration and back-test tests."""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim.history.observed import ObservedLog, Problems


def observed_from_run(res, replication: int = 0, start: str = "2026-03-02", not_in_log=None) -> ObservedLog:
    """``sim.history.ObservedLog`` holding replication ``replication`` of ``res`` (a ``sim.Results``)."""
    sc = res.scenario
    calls = res.calls[res.calls["replication"] == replication].drop(columns="replication").reset_index(drop=True)
    ready = res.ready[res.ready["replication"] == replication].drop(columns="replication").reset_index(drop=True)
    exit_ = np.where(np.isfinite(calls["answer"]), "answered",
                     np.where(np.isfinite(calls["abandon"]), "abandon", "waiting"))
    extra = {} if not_in_log is None else {"not_in_log": tuple(not_in_log)}
    return ObservedLog(calls=calls, ready=ready, start=pd.Timestamp(start, tz="Asia/Shanghai"),
                       interval_minutes=sc.horizon.interval_minutes, days=sc.horizon.days,
                       call_types=sc.type_names(), agents=[str(a) for a in sorted(ready["agent"].unique())],
                       problems=Problems(), source={"format": "simulated", "files": []},
                       queue_exit=pd.Series(exit_), sessions=ready.copy(), **extra)


def interval_report_csv(obs: ObservedLog, path, threshold_s: float = 20.0) -> None:
    """Aggregate an observed call log into an interval ACD report CSV (one row per interval and queue)."""
    c = obs.calls
    k = (c["arrive"] // obs.interval_s).astype(int)
    wait = c["answer"] - c["enqueue"]
    logged = obs.logged_in_per_interval().to_numpy()
    rows = []
    for (kk, queue), g in c.groupby([k, c["call_type"].astype(str)], observed=True):
        ans = g["answer"].notna()
        rows.append({"interval_start": (obs.start + pd.Timedelta(seconds=int(kk) * obs.interval_s)).isoformat(),
                     "queue": queue, "offered": len(g), "answered": int(ans.sum()),
                     "abandoned": int((g["outcome"] == "abandoned").sum()),
                     "answered_within": int((wait[g.index] <= threshold_s).sum()),
                     "aht": float((g["talk"] + g["hold"] + g["acw"])[ans].mean()) if ans.any() else "",
                     "agents": round(float(logged[kk]), 3)})
    pd.DataFrame(rows).to_csv(path, index=False)
