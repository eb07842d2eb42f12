"""Replication checkpoints: what lets an interrupted ``acdsim run`` resume with exactly the missing work.

A run folder's work area (``RUN_DIR/.acdsim-work/``, see ``sim.outdir``) holds ``run.json`` (which scenario
and seed the checkpoints belong to) and one ``rep_<i>.pkl`` per finished replication (its metrics, intervals
and logs), written atomically (temporary file + ``os.replace``) the moment the replication finishes; ticket
stores of unfinished replications live beside them. ``sim.runner.run(..., checkpoint=RunCheckpoint(...))``
loads the finished replications instead of simulating them again and saves each new one. Replication ``i``
depends only on (scenario, seed, i), so a resumed run equals an uninterrupted one.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from pathlib import Path

from sim.errors import ScenarioError

RUN_FILE = "run.json"


def run_fingerprint(scenario, seed: int) -> str:
    """Identifies the work of a run: the validated scenario (inputs read in) and the seed."""
    return hashlib.sha256(f"{scenario.model_dump_json()}|{seed}".encode()).hexdigest()[:24]


class RunCheckpoint:
    """Checkpoints of one run (``fingerprint``) in ``folder``; ``load`` / ``save`` are called by the runner."""

    def __init__(self, folder: str | Path, fingerprint: str):
        self.folder = Path(folder)
        self.fingerprint = fingerprint

    def _path(self, index: int) -> Path:
        return self.folder / f"rep_{index}.pkl"

    def start(self, replications: int, scenario_name: str) -> None:
        """Create the folder and record which run it belongs to."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / RUN_FILE).write_text(json.dumps({"fingerprint": self.fingerprint, "scenario": scenario_name,
                                                        "replications": replications}), encoding="utf-8")

    def load(self, indices) -> dict:
        """Finished replications among ``indices`` (index -> Replication); unreadable files are ignored."""
        out = {}
        for i in indices:
            try:
                with open(self._path(i), "rb") as fh:
                    fp, rep = pickle.load(fh)
            except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
                continue
            if fp == self.fingerprint and getattr(rep, "index", None) == i:
                out[i] = rep
        return out

    def save(self, rep) -> None:
        tmp = self._path(rep.index).with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump((self.fingerprint, rep), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self._path(rep.index))


def interrupted_run(folder: str | Path) -> dict | None:
    """What an interrupted run left in ``folder``: run.json contents plus ``finished`` (replication indices
    with a checkpoint) and ``stores`` (store file -> (status, batches)); None when there is nothing."""
    from sim.desk.store import StoreError, describe

    folder = Path(folder)
    if not folder.is_dir() or not any(folder.iterdir()):
        return None
    try:
        info = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
        if not isinstance(info, dict):
            raise ValueError
    except (OSError, ValueError):
        info = {"fingerprint": None, "scenario": "?", "replications": None}
    info["finished"] = sorted(int(p.stem.removeprefix("rep_")) for p in folder.glob("rep_*.pkl")
                              if p.stem.removeprefix("rep_").isdigit())
    stores = {}
    for p in sorted(folder.glob("tickets*.sqlite")):
        try:
            status, _, batches = describe(p)
        except StoreError:
            status, batches = "unreadable", 0
        stores[p.name] = (status, batches)
    info["stores"] = stores
    if not info["finished"] and not stores:   # started but nothing simulated yet: nothing to lose
        return None
    return info


def describe_interrupted(info: dict) -> str:
    """'replications 0, 2 of 3 finished; tickets_rep1.sqlite interrupted after 12 batches' and the like."""
    reps = info.get("replications")
    parts = [f"replication(s) {', '.join(map(str, info['finished']))} of {reps or '?'} finished"
             if info["finished"] else f"no replication of {reps or '?'} finished"]
    parts += [f"{name} interrupted after {batches} batches" for name, (status, batches) in info["stores"].items()
              if status != "complete"]
    return "; ".join(parts)


def discard(folder: str | Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def check_resumable(info: dict, fingerprint: str, where: Path) -> None:
    """ScenarioError unless the interrupted run in ``where`` is the same scenario and seed."""
    if info.get("fingerprint") != fingerprint:
        raise ScenarioError(f"{where} holds an interrupted run of a different scenario or seed "
                            f"({info.get('scenario', '?')}); resume it with the same scenario file and --seed, "
                            "or discard it with --overwrite")
