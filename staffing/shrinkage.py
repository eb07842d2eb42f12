"""Shrinkage: converting agents needed on the phones into scheduled heads.

Shrinkage s is the fraction of paid, scheduled time an agent is *not* available for calls (breaks,
absenteeism, training, meetings, hand-over).  Scheduled heads = ceil(agents / (1 - s)).

A breakdown (mapping component -> fraction) is combined additively by default (s = sum of the parts,
the usual workforce-management convention and what ``scenario.agents.shrinkage`` holds), or
multiplicatively (s = 1 - prod(1 - s_i)) when the components apply one after the other.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from staffing._numerics import check_nonnegative

# heads are rounded up, but not because of a floating-point hair: 7 / 0.7 = 10.000000000000002 -> 10
_ROUND_TOL = 1e-9


def total_shrinkage(shrinkage: float | Mapping[str, float], *, combine: str = "additive") -> float:
    """Total shrinkage fraction in [0, 1) from a number or a breakdown {component: fraction}.

    ``combine``: "additive" (sum) or "multiplicative" (1 - prod(1 - s_i)).  ValueError naming the
    offending component when a part is outside [0, 1) or the total reaches 1.
    """
    if isinstance(shrinkage, Mapping):
        parts = {}
        for name, value in shrinkage.items():
            v = _fraction(value, f"shrinkage[{name!r}]")
            parts[name] = v
        if combine == "additive":
            total = float(sum(parts.values()))
        elif combine == "multiplicative":
            total = 1.0 - math.prod(1.0 - v for v in parts.values())
        else:
            raise ValueError(f"combine must be 'additive' or 'multiplicative', got {combine!r}")
        if not total < 1.0:
            raise ValueError(f"total shrinkage must be < 1, the breakdown {parts} sums to {total:.3f}")
        return total
    return _fraction(shrinkage, "shrinkage")


def _fraction(value, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a fraction in [0, 1), got {value!r}") from exc
    if not 0.0 <= v < 1.0:
        raise ValueError(f"{name} must be a fraction in [0, 1), got {value!r}")
    return v


def handover_shrinkage(handover_minutes: float, shift_hours: float) -> float:
    """Shrinkage from a paid hand-over of ``handover_minutes`` before a shift of ``shift_hours`` on the phones.

    Paid time is shift + hand-over, of which the hand-over is off the phones:
    s = handover / (shift*60 + handover).
    """
    h = float(handover_minutes)
    L = float(shift_hours)
    if h < 0:
        raise ValueError(f"handover_minutes must be >= 0, got {handover_minutes!r}")
    if L <= 0:
        raise ValueError(f"shift_hours must be > 0, got {shift_hours!r}")
    return h / (L * 60.0 + h)


def heads_for_agents(agents, shrinkage: float | Mapping[str, float] = 0.0, *,
                     combine: str = "additive") -> np.ndarray:
    """Scheduled heads = ceil(agents / (1 - shrinkage)) (int64 array shaped like ``agents``)."""
    a = check_nonnegative(agents, "agents")
    s = total_shrinkage(shrinkage, combine=combine)
    return np.ceil(a / (1.0 - s) - _ROUND_TOL).astype(np.int64)
