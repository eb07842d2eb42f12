"""``acdsim run --out``: kill -9 at several points, then ``--resume`` gives exactly the uninterrupted result;
the output folder is locked against a second run; a failing run leaves the last finished run's files alone."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.desk.store import describe

ROOT = Path(__file__).resolve().parents[1]
REPS = 3
OUTPUTS = ("summary.json", "intervals.csv", "interval_summary.csv", "scenario.json")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    """The example centre (with its [desk] section) over 3 days: a replication takes ~1 s."""
    text = (ROOT / "scenarios" / "property_centre.toml").read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("sc") / "centre.toml"
    path.write_text(text.replace("days = 7", "days = 3", 1), encoding="utf-8")
    assert "days = 3" in path.read_text(encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(scenario, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "run"
    res = CliRunner().invoke(app, ["run", str(scenario), "-r", str(REPS), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "sim.cli", *map(str, args)]


def _store_rows(path: Path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                for t in ("tickets", "events", "deadlines", "outbound", "batches")}
    finally:
        conn.close()


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 90.0) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` is true (checked every 5 ms)."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            if ready():
                break
        except Exception:   # a file being created or a store without its schema yet
            pass
        time.sleep(0.005)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()[-800:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _batches(path: Path) -> int:
    return describe(path)[2] if path.exists() else 0


def _assert_same_as(out: Path, reference: Path) -> None:
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    for i in range(REPS):
        store = "tickets.sqlite" if i == 0 else f"tickets_rep{i}.sqlite"
        assert describe(out / store)[0] == "complete"
        assert _store_rows(out / store) == _store_rows(reference / store), store
    assert not (out / ".acdsim-work").exists() and not list(out.glob(".acdsim-staging-*"))


# kill points: inside replication 0's store, right after replication 0's checkpoint, inside replication 2
KILL_POINTS = {
    "mid_rep0": lambda w: _batches(w / "tickets.sqlite") >= 5,
    "after_rep0": lambda w: (w / "rep_0.pkl").exists(),
    "mid_rep2": lambda w: _batches(w / "tickets_rep2.sqlite") >= 5,
}


@pytest.mark.parametrize("point", ["mid_rep2"])
def test_kill_then_resume_equals_uninterrupted_run(scenario, reference, tmp_path, point):
    """With 2 jobs: the pool workers die with the killed run, so the folder is free at once."""
    _kill_and_resume(scenario, reference, tmp_path, point, jobs=2)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["mid_rep0", "after_rep0"])
def test_kill_then_resume_equals_uninterrupted_run_more_points(scenario, reference, tmp_path, point):
    _kill_and_resume(scenario, reference, tmp_path, point)


def _kill_and_resume(scenario, reference, tmp_path, point, jobs=1):
    out = tmp_path / "run"
    args = ["run", scenario, "-r", REPS, "-j", jobs, "--out", out]
    proc = subprocess.Popen(_cli(*args), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _kill_when(proc, lambda: KILL_POINTS[point](out / ".acdsim-work"))
    assert not (out / "summary.json").exists()
    finished = sorted(p.name for p in (out / ".acdsim-work").glob("rep_*.pkl"))

    runner = CliRunner()
    refused = runner.invoke(app, [str(a) for a in args])         # a plain rerun never discards the work
    assert refused.exit_code == 2
    assert "interrupted run" in refused.output and "--resume" in refused.output
    if point == "mid_rep2":   # names the right store and the finished replications
        # with 2 jobs, replication 2 starts as soon as either 0 or 1 is done: name what really finished
        done = ", ".join(p.removeprefix("rep_").removesuffix(".pkl") for p in finished)
        assert "tickets_rep2.sqlite interrupted" in refused.output and f"{done} of 3 finished" in refused.output
    other_seed = runner.invoke(app, [str(a) for a in args] + ["--resume", "--seed", "99"])
    assert other_seed.exit_code == 2 and "different scenario or seed" in other_seed.output

    resumed = runner.invoke(app, [str(a) for a in args] + ["--resume"])
    assert resumed.exit_code == 0, resumed.output
    _assert_same_as(out, reference)
    expected = {"mid_rep0": {0}, "after_rep0": {1}, "mid_rep2": {2} if jobs == 1 else {1, 2}}[point]
    assert len(finished) in expected


def test_resume_keeps_finished_replications(scenario, reference, tmp_path, monkeypatch):
    """Replications with a checkpoint are loaded, not simulated again (only the missing one runs)."""
    out = tmp_path / "run"
    # -j 1: the replications run in this process, where run_replication is patched (the default is one per core)
    args = ["run", str(scenario), "-r", str(REPS), "-j", "1", "--out", str(out)]
    import sim.runner

    real = sim.runner.run_replication
    ran = []

    def stop_at_2(sc, seed, index, *rest):
        ran.append(index)
        if index == 2:
            raise KeyboardInterrupt   # as Ctrl-C during replication 2
        return real(sc, seed, index, *rest)

    monkeypatch.setattr(sim.runner, "run_replication", stop_at_2)
    assert CliRunner().invoke(app, args).exit_code != 0
    assert ran == [0, 1] or ran == [0, 1, 2]
    ran.clear()
    monkeypatch.setattr(sim.runner, "run_replication", lambda *a: ran.append(a[2]) or real(*a))
    res = CliRunner().invoke(app, args + ["--resume"])
    assert res.exit_code == 0, res.output
    assert ran == [2]
    _assert_same_as(out, reference)
    nothing = CliRunner().invoke(app, args + ["--resume"])
    assert nothing.exit_code == 2 and "nothing to resume" in nothing.output


def test_second_run_on_a_locked_folder_fails_fast_naming_the_holder(scenario, tmp_path):
    long = tmp_path / "long.toml"   # a run that is still going when the second one starts
    long.write_text(scenario.read_text(encoding="utf-8").replace("days = 3", "days = 60", 1), encoding="utf-8")
    out = tmp_path / "run"
    first = subprocess.Popen(_cli("run", long, "-r", 1, "--out", out), cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while not (out / ".acdsim-work" / "run.json").exists() and time.time() < deadline:
            time.sleep(0.01)
        t0 = time.time()
        second = CliRunner().invoke(app, ["run", str(scenario), "-r", "1", "--out", str(out)])
        assert first.poll() is None, "the first run ended too early for this test"
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    assert time.time() - t0 < 30   # fails fast: no waiting for the lock
    assert second.exit_code == 2, second.output
    assert "in use by another acdsim command" in second.output and f"pid {first.pid}" in second.output
    assert "acdsim run" in second.output and second.exception is None or isinstance(second.exception, SystemExit)
    # the kernel released the lock with the killed process: the folder is usable again
    res = CliRunner().invoke(app, ["run", str(scenario), "-r", "1", "--out", str(out), "--overwrite"])
    assert res.exit_code == 0, res.output
    assert (out / "summary.json").exists() and not (out / ".acdsim-lock.json").exists()


def test_failed_run_keeps_the_finished_run(scenario, reference, tmp_path):
    """A run that fails after its folder was prepared (here: a bad --report) leaves the old outputs as
    they were, and a run with a bad scenario never touches them."""
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", str(scenario), "-r", str(REPS), "--out", str(out)])
    assert res.exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    bad = tmp_path / "bad.toml"
    bad.write_text("[arrivals]\ncalls_per_hour = 1\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["run", str(bad), "--out", str(out)]).exit_code == 2
    import sim.runner

    def boom(*a, **k):
        raise sim.ScenarioError("simulated failure")

    mp = pytest.MonkeyPatch()
    mp.setattr(sim.runner, "run_replication", boom)
    try:
        res = CliRunner().invoke(app, ["run", str(scenario), "-r", "1", "--seed", "5", "--out", str(out),
                                       "--overwrite"])
    finally:
        mp.undo()
    assert res.exit_code == 2 and "simulated failure" in res.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not list(out.glob(".acdsim-staging-*")) and not (out / ".acdsim-lock.json").exists()
