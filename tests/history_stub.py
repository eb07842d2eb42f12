"""A simulated run dressed as an observed history (known parameters) for calibration tests."""
from __future__ import annotations

import numpy as np
import pandas as pd

from sim.timeline import time_per_interval


class SimulatedHistory:
    """The attributes of ``sim.history.ObservedLog`` that calibration reads, from one simulated replication."""

    def __init__(self, res, replication: int = 0, start: str = "2026-03-02", not_in_log=()):
        sc = res.scenario
        self.calls = res.calls[res.calls["replication"] == replication].drop(columns="replication").reset_index(drop=True)
        self.ready = res.ready[res.ready["replication"] == replication].drop(columns="replication")
        self.start = pd.Timestamp(start, tz="Asia/Shanghai")
        self.interval_minutes = sc.horizon.interval_minutes
        self.days = sc.horizon.days
        self.length_s = self.days * 86400.0
        self.interval_s = self.interval_minutes * 60
        self.n_intervals = sc.horizon.n_intervals
        self.not_in_log = tuple(not_in_log)
        self.notes = []
        self.source = {"format": "simulated", "files": []}

    def patience_observations(self) -> pd.DataFrame:
        c = self.calls
        enq = c["enqueue"].to_numpy()
        end = np.fmin(c["answer"].to_numpy(), c["abandon"].to_numpy())
        end = np.where(np.isfinite(enq) & ~np.isfinite(end), self.length_s, end)
        keep = np.isfinite(enq)
        return pd.DataFrame({"wait_s": (end - enq)[keep], "abandoned": np.isfinite(c["abandon"].to_numpy())[keep]})

    def staffing_per_interval(self) -> pd.Series:
        r = self.ready
        secs = time_per_interval(r["start"].to_numpy(), r["end"].to_numpy(), self.interval_s, self.n_intervals)
        return pd.Series(secs / self.interval_s)
