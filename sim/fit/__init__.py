"""Fitting a scenario's inputs to a centre's history: one module per concept.

- ``arrivals``: first attempts per weekday × interval and per call type, holidays marked;
- ``durations``: talk, hold, ACW by maximum likelihood, family by AIC, KS distance, QQ plots;
- ``patience``: caller patience from censored waits (Kaplan–Meier, censored ML);
- ``redials``: redials, repeat calls and FCR from repeated caller ids;
- ``pickup``: the ring before an agent picks up;
- ``staffing``: observed agents ready per interval, and as shifts for a back-test;
- ``intervals``: what an interval ACD report allows;
- ``scenario_toml`` / ``html``: the calibrated scenario with provenance comments, the report page.

``sim.fit.fit(observed, **options)`` is ``sim.calibrate.calibrate``: it returns a ``Calibration`` with
``summary()``, ``params``, ``conf_int()``, plots and ``save(out_dir)``.
"""
from __future__ import annotations


def fit(observed, **options):
    """Calibrate every scenario input from ``observed`` (an ``ObservedLog``); see ``sim.calibrate.calibrate``."""
    from sim.calibrate import calibrate

    return calibrate(observed, **options)
