"""Pick-up delay: how long the phone rings before an agent can answer, from the waits of answered calls.

When a caller is put through to an idle agent at once, the logged wait to answer is the ringing alone. A
fixed ring shows as a floor of the answered waits that many calls sit on (in an Asterisk queue_log every
CONNECT's holdtime includes the agent's ringing). The floor is the 1 % quantile of the answered waits; it
counts as a pick-up delay when it is at least ``MIN_DELAY_S`` and at least ``MIN_SHARE`` of the answered calls
waited no more than a second longer. The scenario models it as one ring (``telephony.pickup_rings = 1``) of
that length (``ring_cycle_s``): callers who find an idle agent wait that long, as observed (the model does not
add the ring to callers who queued longer than a ring).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_DELAY_S = 0.5
MIN_SHARE = 0.10


@dataclass
class PickupFit:
    """``delay_s`` (0: no pick-up delay seen), ``share_at_floor`` of ``n`` answered calls."""

    delay_s: float
    share_at_floor: float
    n: int

    def to_dict(self) -> dict:
        return {"delay_s": self.delay_s, "share_at_floor": self.share_at_floor, "answered": self.n,
                "definition": "1 % quantile of waits to answer, when >= 10 % of answered calls waited at most "
                              "1 s longer"}


def fit_pickup(answered_waits) -> PickupFit:
    w = np.asarray(answered_waits, dtype=float)
    w = w[np.isfinite(w) & (w >= 0)]
    if w.size == 0:
        return PickupFit(0.0, 0.0, 0)
    floor = float(np.quantile(w, 0.01))
    share = float(np.mean(w <= floor + 1.0))
    if floor < MIN_DELAY_S or share < MIN_SHARE:
        return PickupFit(0.0, share, int(w.size))
    return PickupFit(round(floor, 3), share, int(w.size))
