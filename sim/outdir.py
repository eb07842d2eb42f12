"""Output folders: checked, locked for one command at a time, and replaced only by a run that succeeded.

Every command that writes files (``run``, ``report``, ``sweep``, ``staff``, ``schedule``, and new ones) does::

    from sim.outdir import prepare_out_dir

    with prepare_out_dir(out, "acdsim forecast") as od:   # OutputDirError (a ScenarioError) if unusable
        frame.to_csv(od.staging / "forecast.csv")          # write into the staging folder ...
    # ... on a normal exit every staged file replaces its namesake in ``out``; after an exception (or a kill)
    # ``out`` keeps the files of the last finished run and the staging folder is discarded.

What it guarantees:

- ``out`` is a folder or can be created: a path that is a file, lies below a file, or cannot be created or
  written gives one clear error before any work starts;
- exclusive lock: ``fcntl.flock`` on the folder itself, held until the block ends (released by the kernel if
  the process dies). A second command on the same folder fails at once, naming the holder's pid, command
  and start time (from ``.acdsim-lock.json``, present only while a command holds the lock);
- no output of a finished run is deleted by a run that then fails: files are written to
  ``out/.acdsim-staging-<pid>/`` and moved into place with ``os.replace`` (atomic per file) after success;
- ``od.work`` (``out/.acdsim-work/``) is a folder that survives failures and kills, for state a later
  ``--resume`` needs (``acdsim run`` keeps its replication checkpoints and unfinished ticket stores there).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sim.errors import OutputDirError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no locking
    fcntl = None

_HELD: set[int] = set()   # descriptors holding a folder lock; a forked child closes its copies (see below)


def _drop_inherited_locks() -> None:
    # flock belongs to the open file description, which fork shares: a child (e.g. a pool worker) that
    # outlived its parent would otherwise keep the folder locked.
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_inherited_locks)

LOCK_INFO = ".acdsim-lock.json"
STAGING_PREFIX = ".acdsim-staging-"
WORK = ".acdsim-work"


@dataclass
class OutDir:
    """A locked output folder: ``path`` (final), ``staging`` (write here), ``work`` (kept across failures)."""

    path: Path
    staging: Path
    command: str

    @property
    def work(self) -> Path:
        return self.path / WORK

    def commit(self) -> None:
        """Move every staged file into ``path`` (replacing files of an earlier run); done on a normal exit
        (call it earlier to have the outputs in place before further steps; a second call does nothing)."""
        if not self.staging.exists():
            return
        for src in sorted(p for p in self.staging.rglob("*") if not p.is_dir()):
            dest = self.path / src.relative_to(self.staging)
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.is_dir():
                raise OutputDirError(f"cannot write {dest}: a folder of that name is in the way")
            os.replace(src, dest)
        shutil.rmtree(self.staging, ignore_errors=True)


def check_out_path(path: str | Path, option: str = "--out") -> Path:
    """``path`` as a Path if it is, or can become, a folder; OutputDirError naming the obstacle otherwise."""
    p = Path(path)
    try:
        if p.exists() and not p.is_dir():
            raise OutputDirError(f"{option} {p} is a file, not a folder; give a folder name")
        for parent in p.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OutputDirError(f"{option} {p} lies below {parent}, which is a file; no folder can be "
                                         "created there")
                break
    except (OSError, ValueError) as err:   # name too long, embedded NUL byte, ...
        if isinstance(err, OutputDirError):
            raise
        raise OutputDirError(f"{option} {str(p)[:200]!r} cannot be used as a folder name: "
                             f"{getattr(err, 'strerror', None) or err}") from None
    return p


def _holder(path: Path) -> str:
    try:
        info = json.loads((path / LOCK_INFO).read_text(encoding="utf-8"))
        text = f"pid {info['pid']}, '{info['command']}', started {info['started']} on {info['host']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"
    if info["host"] == socket.gethostname() and not _alive(info["pid"]):
        text += "; that process has ended and its worker processes still hold the folder — try again shortly"
    return text


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError, OverflowError):
        return True
    return True


@contextlib.contextmanager
def lock_dir(path: Path, command: str) -> Iterator[None]:
    """Hold an exclusive lock on folder ``path`` (must exist); OutputDirError at once if another holds it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as err:
        raise OutputDirError(f"cannot open the output folder {path}: {err.strerror}") from None
    _HELD.add(fd)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OutputDirError(f"output folder {path} is in use by another acdsim command "
                                     f"({_holder(path)}); wait for it to finish or choose another folder") from None
        info = {"pid": os.getpid(), "command": command, "host": socket.gethostname(),
                "started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}
        try:
            (path / LOCK_INFO).write_text(json.dumps(info), encoding="utf-8")
        except OSError as err:
            raise OutputDirError(f"output folder {path} is not writable: {err.strerror}") from None
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                (path / LOCK_INFO).unlink()
    finally:
        _HELD.discard(fd)
        os.close(fd)  # releases the flock


@contextlib.contextmanager
def prepare_out_dir(path: str | Path, command: str, option: str = "--out") -> Iterator[OutDir]:
    """Check and create ``path``, lock it for ``command`` and yield an ``OutDir`` (see the module docstring)."""
    p = check_out_path(path, option)
    created = not p.exists()
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputDirError(f"cannot create the output folder {p}: {err.strerror or err}") from None
    try:
        with _locked_out_dir(p, command) as od:
            yield od
    except BaseException:
        if created:          # a folder this command created and that stayed empty goes again
            with contextlib.suppress(OSError):
                p.rmdir()
        raise


@contextlib.contextmanager
def _locked_out_dir(p: Path, command: str) -> Iterator[OutDir]:
    with lock_dir(p, command):
        for stale in p.glob(STAGING_PREFIX + "*"):      # left by a killed command (we hold the lock)
            shutil.rmtree(stale, ignore_errors=True)
        staging = p / f"{STAGING_PREFIX}{os.getpid()}"
        try:
            staging.mkdir()
        except OSError as err:
            raise OutputDirError(f"output folder {p} is not writable: {err.strerror or err}") from None
        od = OutDir(p, staging, command)
        try:
            yield od
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        od.commit()
