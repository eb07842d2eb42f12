"""Comparing results stored from an earlier commit with today's: numbers to a relative tolerance (float sums may
be added in another order after a refactor), everything else (None, NaN, text) exactly."""
from __future__ import annotations

import math


def assert_same_numbers(got, want, rel: float, where: str = "") -> None:
    """``got`` equals ``want`` (nested dicts / lists): numbers within ``rel`` relative (and 1e-12 absolute),
    NaN only where NaN was stored, anything else equal."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), f"{where}: keys differ"
        for key, value in want.items():
            assert_same_numbers(got[key], value, rel, f"{where}.{key}")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), f"{where}: lengths differ"
        for k, (g, w) in enumerate(zip(got, want)):
            assert_same_numbers(g, w, rel, f"{where}[{k}]")
    elif isinstance(want, (int, float)) and not isinstance(want, bool) and isinstance(got, (int, float)):
        if math.isnan(want):
            assert math.isnan(got), f"{where}: {got} where NaN was stored"
        else:
            assert math.isclose(got, want, rel_tol=rel, abs_tol=1e-12), f"{where}: {got} != {want}"
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"
