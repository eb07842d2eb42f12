"""Finished points of long commands, kept so that an interrupted ``sweep``, ``compare`` or ``schedule --verify``
resumes instead of starting again.

A *point* is one piece of work whose result depends only on its inputs: a replication of a scenario variant
(the scenario with its input files read in, the seed and the replication index) or a roster solved for a
requirement (requirement, shift rules, solver settings). A :class:`PointStore` keeps one pickle per finished
point in a folder of the command's work area (``OUT/.acdsim-work/<command>/``, which survives a failure or a
kill, see :mod:`sim.outdir`), named by the SHA-256 of the point's inputs and written atomically (temporary
file + ``os.replace``) the moment the point finishes. A re-run with the same ``--out`` looks every point up by
that key before computing it: a point whose inputs changed (scenario, input file, seed, rules) has another
key and is computed again — never reused silently; points of other inputs left in the folder are counted
(:meth:`PointStore.summary` says so). Once the command's outputs are in place the folder is removed
(:meth:`PointStore.clear`). A reused point is the very result the uninterrupted command computes, so a
resumed command's outputs equal an uninterrupted one's.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

FORMAT = 1
"""Part of every key: bump it when what a point holds changes, so old points are not read."""


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("acdsim")
    except Exception:  # noqa: BLE001 - not installed as a package: the format number alone
        return "?"


def _part(value) -> bytes:
    """Bytes that identify one input of a point (arrays by dtype, shape and data; pydantic models by JSON)."""
    if isinstance(value, np.ndarray):
        a = np.ascontiguousarray(value)
        return f"{a.dtype.str}{a.shape}".encode() + a.tobytes()
    if hasattr(value, "model_dump_json"):
        return value.model_dump_json().encode()
    return repr(value).encode()


class PointStore:
    """Finished points of one command in ``folder``; counts the points ``reused`` from an earlier run and the
    points ``computed`` (and kept) by this one."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.computed = 0
        self._asked: set[str] = set()
        self._before = {p.stem for p in self.folder.glob("*.pkl")} if self.folder.is_dir() else set()
        self._present = set(self._before)
        self._reused: set[str] = set()

    @property
    def reused(self) -> int:
        """Points taken from an earlier, interrupted run (not those this command computed and read again)."""
        return len(self._reused)

    @staticmethod
    def key(*parts) -> str:
        """SHA-256 of the point's inputs (strings, numbers, numpy arrays, pydantic models)."""
        h = hashlib.sha256(f"acdsim-point/{FORMAT}/{_version()}".encode())
        for p in parts:
            b = _part(p)
            h.update(len(b).to_bytes(8, "little") + b)
        return h.hexdigest()[:32]

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pkl"

    def get(self, key: str):
        """The stored result of point ``key``, or None; an unreadable file counts as missing."""
        self._asked.add(key)
        if key not in self._present:
            return None
        try:
            with open(self._path(key), "rb") as fh:
                stored_key, value = pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
            return None
        if stored_key != key:
            return None
        if key in self._before:
            self._reused.add(key)
        return value

    def put(self, key: str, value) -> None:
        """Keep the result of point ``key`` (atomically: a kill leaves the old file or the new one)."""
        self._asked.add(key)
        self.computed += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self._path(key).with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump((key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self._path(key))
        self._present.add(key)

    def cached(self, key: str, compute: Callable[[], object]):
        """The stored result of ``key``, else ``compute()`` stored as it finishes."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    def unused(self) -> int:
        """Points in the folder that no lookup of this command asked for (left by other inputs)."""
        return len(self._before - self._asked)

    def summary(self, what: str = "points") -> str | None:
        """'reused 5 of 12 points finished by an interrupted run in OUT' (None when nothing was there)."""
        if not self.reused and not self.unused():
            return None
        text = (f"reused {self.reused} of {self.reused + self.computed} {what} finished by an interrupted run "
                f"(kept in {self.folder})")
        if self.unused():
            text += (f"; {self.unused()} kept {what} belong to other inputs (scenario, input files, seed or "
                     "rules changed) and were not used")
        return text

    def clear(self) -> None:
        """Remove the folder (the command finished and its outputs are in place), and the work area it lies in
        when nothing else is kept there."""
        from sim.outdir import WORK

        shutil.rmtree(self.folder, ignore_errors=True)
        if self.folder.parent.name == WORK:
            with contextlib.suppress(OSError):
                self.folder.parent.rmdir()      # only succeeds when empty


class ReplicationPoints:
    """The checkpoint that ``sim.runner.run(..., checkpoint=)`` takes (``load`` / ``save``), on a PointStore:
    replication ``i`` of ``scenario`` with ``seed`` is one point (the Replication the runner computed)."""

    def __init__(self, points: PointStore, scenario, seed: int):
        from sim.checkpoint import run_fingerprint

        self.points = points
        self.fingerprint = run_fingerprint(scenario.resolved(), seed)

    def _key(self, index: int) -> str:
        return self.points.key("run-replication", self.fingerprint, index)

    def load(self, indices) -> dict:
        return {i: rep for i in indices if (rep := self.points.get(self._key(i))) is not None}

    def save(self, rep) -> None:
        self.points.put(self._key(rep.index), rep)
