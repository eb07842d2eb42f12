"""Glue between the call model's runner (``sim.runner.run(..., desk_factory=...)``) and the desk layer.

``DeskFactory(run_dir=None, mode="new")`` is picklable (works with ``jobs > 1``); ``mode="auto"`` picks each
replication's store mode from its file (``auto_mode``: what ``acdsim run`` uses for resumable runs). Called as
``factory(scenario, seed_sequence)`` it returns a ``DeskRun`` that the runner ``attach``es to the model (the
layer then lives in ``model.env``, takes ``scenario.desk`` rules (defaults if absent), the model's 'desk' random
stream, and sends outbound work to ``model.group.submit``); the model calls ``on_call_handled`` (the walk-in
counter ``on_visit_served``: a ticket of channel ``counter``); the runner calls ``finish(model)`` which
writes the last batch and the pending hand-over items, checks conservation (inside the store, and every
handled call of the model's call log accounted for: ConservationError otherwise) and returns
``{"run_metrics": {desk.* numbers}, "desk_conservation": {...}}``. Store: ``RUN_DIR/tickets.sqlite`` for
replication 0, ``RUN_DIR/tickets_rep<i>.sqlite`` for replication i > 0 (in memory when ``run_dir`` is None).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from sim.desk.config import DeskRules
from sim.desk.layer import DeskLayer
from sim.desk.numbers import desk_numbers
from sim.desk.store import TicketStore


def store_name(replication: int) -> str:
    return "tickets.sqlite" if replication == 0 else f"tickets_rep{replication}.sqlite"


def rules_of_scenario(scenario) -> DeskRules:
    raw = getattr(scenario, "desk", None)
    if raw is None:
        return DeskRules()
    return raw if isinstance(raw, DeskRules) else DeskRules.model_validate(raw)


def handled_call_ids(model) -> list[int] | None:
    """Call ids of the model's handled calls (its call log), or None without a call log (the layer then checks
    the calls it received)."""
    log = getattr(model, "log", None)
    if log is None or not hasattr(log, "outcome"):
        return None
    from sim.calllog import HANDLED

    return [i for i in range(log.n) if log.outcome[i] == HANDLED]


class DeskRun:
    def __init__(self, scenario, seed: np.random.SeedSequence, store_path: str, mode: str):
        self.scenario, self.seed, self.store_path, self.mode = scenario, seed, store_path, mode
        self.rules = rules_of_scenario(scenario)
        self.layer: DeskLayer | None = None
        self.store: TicketStore | None = None

    def attach(self, model) -> None:
        sc = self.scenario
        dump = sc.model_dump_json() if hasattr(sc, "model_dump_json") else repr(sc)
        fp = hashlib.sha256(f"{dump}|{self.seed.entropy}|{self.seed.spawn_key}".encode()).hexdigest()[:24]
        self.store = TicketStore(self.store_path, mode=self.mode, fingerprint=fp)
        rng = getattr(model, "rng", {}).get("desk") if isinstance(getattr(model, "rng", None), dict) else None
        if rng is None:
            rng = np.random.default_rng(self.seed.spawn(1)[0])
        weekday = getattr(getattr(sc, "horizon", None), "start_weekday", 0)
        self.layer = DeskLayer(model.env, self.rules, rng, self.store, getattr(model, "group", None),
                               start_weekday=weekday)

    def on_call_handled(self, call: dict):
        if self.layer is not None:
            return self.layer.on_call_handled(call)
        return None

    def on_visit_served(self, visit: dict):
        """A visitor served at the walk-in counter (``sim.counter``) becomes a ticket of channel ``counter``."""
        if self.layer is not None:
            return self.layer.on_visit_served(visit)
        return None

    def finish(self, model=None) -> dict:
        if self.layer is None:
            return {}
        rep = self.layer.finish(handled_call_ids(model))
        metrics = desk_numbers(self.store.rows(), rules=self.rules)
        self.store.close()
        if getattr(model, "counter", None) is not None:   # tickets that came in over the counter
            metrics["desk.tickets.from_counter"] = float(rep.get("counter_visits", 0)
                                                         - self.layer.visit_duplicates)
        return {"run_metrics": metrics, "desk_conservation": rep}


class DeskFactory:
    """``desk_factory`` for ``sim.runner.run``; ``mode`` is the store mode ('new' | 'overwrite' | 'resume' |
    'auto')."""

    def __init__(self, run_dir: str | Path | None = None, mode: str = "new"):
        if mode not in ("new", "overwrite", "resume", "auto"):
            raise ValueError(f"desk store mode must be 'new', 'overwrite', 'resume' or 'auto', got {mode!r}")
        self.run_dir = None if run_dir is None else str(run_dir)
        self.mode = mode

    def __call__(self, scenario, seed: np.random.SeedSequence) -> DeskRun:
        rep = int(seed.spawn_key[-1]) if seed.spawn_key else 0
        path = ":memory:" if self.run_dir is None else str(Path(self.run_dir) / store_name(rep))
        return DeskRun(scenario, seed, path, auto_mode(path) if self.mode == "auto" else self.mode)


def auto_mode(path: str) -> str:
    """Mode 'auto' (a run's work folder): resume an interrupted store, start a missing one, and rewrite a
    finished or unreadable one (the replication is being simulated again, so its store is too)."""
    from sim.desk.store import StoreError, describe

    if path == ":memory:" or not Path(path).exists():
        return "new"
    try:
        return "resume" if describe(path)[0] == "running" else "overwrite"
    except StoreError:
        return "overwrite"
