"""sim.outdir.prepare_out_dir: checks, exclusive lock naming the holder, staged outputs replaced on success
only."""
from __future__ import annotations

import os

import pytest

from sim.errors import OutputDirError
from sim.outdir import prepare_out_dir


def test_success_replaces_outputs_and_leaves_no_trace(tmp_path):
    out = tmp_path / "new" / "folder"
    with prepare_out_dir(out, "acdsim test") as od:
        (od.staging / "a.csv").write_text("1", encoding="utf-8")
        (od.staging / "plots").mkdir()
        (od.staging / "plots" / "p.png").write_bytes(b"png")
        assert not (out / "a.csv").exists()          # nothing visible until the block succeeds
    assert (out / "a.csv").read_text(encoding="utf-8") == "1" and (out / "plots" / "p.png").exists()
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "plots"]
    with prepare_out_dir(out, "acdsim test") as od:
        (od.staging / "a.csv").write_text("2", encoding="utf-8")
    assert (out / "a.csv").read_text(encoding="utf-8") == "2"


def test_failure_keeps_the_previous_outputs(tmp_path):
    out = tmp_path / "o"
    with prepare_out_dir(out, "acdsim test") as od:
        (od.staging / "a.csv").write_text("finished run", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with prepare_out_dir(out, "acdsim test") as od:
            (od.staging / "a.csv").write_text("half", encoding="utf-8")
            raise RuntimeError("the run failed")
    assert (out / "a.csv").read_text(encoding="utf-8") == "finished run"
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"]


def test_second_holder_fails_at_once_naming_the_first(tmp_path):
    out = tmp_path / "o"
    with prepare_out_dir(out, "acdsim run"):
        with pytest.raises(OutputDirError) as info:
            with prepare_out_dir(out, "acdsim sweep"):
                pass
        text = str(info.value)
        assert f"pid {os.getpid()}" in text and "'acdsim run'" in text and "started" in text
    with prepare_out_dir(out, "acdsim sweep"):       # released at the end of the block
        pass


def test_stale_staging_of_a_killed_command_is_removed(tmp_path):
    out = tmp_path / "o"
    (out / ".acdsim-staging-999999").mkdir(parents=True)
    (out / ".acdsim-staging-999999" / "half.csv").write_text("x", encoding="utf-8")
    with prepare_out_dir(out, "acdsim test"):
        pass
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("make,needle", [
    (lambda p: p.write_text("x", encoding="utf-8"), "is a file, not a folder"),
    (lambda p: (p.parent / "f").write_text("x", encoding="utf-8"), "which is a file"),
])
def test_unusable_paths(tmp_path, make, needle):
    target = tmp_path / "o"
    make(target)
    path = target if needle.startswith("is a file") else tmp_path / "f" / "sub"
    with pytest.raises(OutputDirError, match=needle):
        with prepare_out_dir(path, "acdsim test"):
            pass


def test_a_folder_created_by_a_failing_command_is_removed_again(tmp_path):
    out = tmp_path / "fresh" / "o"
    with pytest.raises(RuntimeError):
        with prepare_out_dir(out, "acdsim test"):
            raise RuntimeError("failed before writing anything")
    assert not out.exists()
