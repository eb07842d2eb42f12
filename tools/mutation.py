"""Mutation-testing job: mutate one core module at a time with mutmut and write the score and survivors.

Not part of the default test run (it takes minutes per module). For each module named in
``tools/mutation.toml`` this copies the working tree into a scratch folder, adds a ``[tool.mutmut]`` section
(mutate only that module; judge mutants with that module's fast test selection), runs ``mutmut run``, and
collects mutmut's verdicts. Survivors listed in ``tools/mutation_equivalent.toml`` with a reason are
reported as equivalent (no test can tell them apart from the original); every other survivor is a gap.

    python tools/mutation.py [--modules sim/metrics.py,...] [--jobs N] [--report benchmarks/mutation_report.md]

Score = killed / (mutants judged - equivalent); mutants no selected test executes count as survivors.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tools" / "mutation.toml"
EQUIVALENT = ROOT / "tools" / "mutation_equivalent.toml"
KILLED = {"killed", "timeout", "caught by type check", "segfault"}


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return [f for f in out.splitlines() if (ROOT / f).is_file()]


def prepare(module: str, tests: list[str], scratch: Path, plugins: list[str] | None = None) -> Path:
    """A copy of the working tree with a [tool.mutmut] section for ``module``; ``plugins``: pytest plugins
    (modules under ``tools/``, e.g. ``tools.mutation_highs``) loaded in every test run of the job."""
    work = scratch / module.replace("/", "_").removesuffix(".py")
    if work.exists():
        shutil.rmtree(work)
    for f in tracked_files():
        dest = work / f
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, dest)
    extra = [a for p in plugins or [] for a in ("-p", p)]
    section = (
        "\n[tool.mutmut]\n"
        'source_paths = ["sim", "staffing"]\n'
        f"only_mutate = {json.dumps([module])}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        f"pytest_add_cli_args = {json.dumps(['-q', '-p', 'no:cacheprovider', *extra])}\n"
        # tests read scenario files and the benchmark's scenario builders (tests/test_streaming_log.py)
        f"also_copy = {json.dumps(['scenarios', 'benchmarks'] + (['tools'] if plugins else []))}\n"
        "use_git_change_detection = false\n"
    )
    with open(work / "pyproject.toml", "a", encoding="utf-8") as fh:
        fh.write(section)
    return work


def verdicts(work: Path) -> dict[str, str]:
    """mutant name -> mutmut status, from ``mutmut results --all true``."""
    out = subprocess.run(["mutmut", "results", "--all", "true"], cwd=work, capture_output=True, text=True).stdout
    result = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            result[name] = status
    return result


def diff(work: Path, name: str) -> str:
    out = subprocess.run(["mutmut", "show", name], cwd=work, capture_output=True, text=True).stdout
    return "\n".join(line for line in out.splitlines()[1:] if line.startswith(("+", "-"))
                     and not line.startswith(("+++", "---")))


def run_module(module: str, tests: list[str], scratch: Path, jobs: int, sample: int = 0,
               plugins: list[str] | None = None) -> dict:
    work = prepare(module, tests, scratch, plugins)
    t0 = time.monotonic()
    env = os.environ | {"PYTHONHASHSEED": "0"}
    names: list[str] = []
    total = None
    if sample:  # generate the mutants only (a filter that matches none), then run a seeded random sample
        subprocess.run(["mutmut", "run", "--max-children", str(jobs), "no.such.mutant"], cwd=work, env=env,
                       capture_output=True, text=True)
        every = sorted(verdicts(work))
        total = len(every)
        names = sorted(random.Random(f"{module}:{sample}").sample(every, min(sample, total)))
    proc = subprocess.run(["mutmut", "run", "--max-children", str(jobs), *names], cwd=work, env=env,
                          capture_output=True, text=True)
    seconds = time.monotonic() - t0
    status = verdicts(work)
    if proc.returncode != 0 and not status:
        raise SystemExit(f"mutmut failed on {module}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    generated = total if total is not None else len(status)
    if sample:
        status = {n: status[n] for n in names if n in status}
    status = {n: s for n, s in status.items() if s != "not checked"}  # an interrupted run judged fewer
    survivors = {n: diff(work, n) for n, s in status.items() if s not in KILLED}
    return {"module": module, "tests": tests, "seconds": seconds, "status": status, "survivors": survivors,
            "generated": generated, "work": str(work)}


def refresh(result: dict) -> dict:
    """Re-read mutmut's verdicts for the judged mutants from the work folder (after ``mutmut run NAME...``
    there re-judged survivors with new tests)."""
    work = Path(result.get("work", ""))
    if not (work / "mutants").is_dir():
        return result
    now = verdicts(work)
    # a re-judged mutant has a new verdict; the others may show 'not checked' (mutmut resets verdicts when the
    # test selection changes) and keep the verdict of the first run
    status = {n: s if now.get(n, "not checked") == "not checked" else now[n] for n, s in result["status"].items()}
    survivors = {n: result["survivors"].get(n) or diff(work, n) for n, s in status.items() if s not in KILLED}
    return result | {"status": status, "survivors": survivors}


def write_report(results: list[dict], path: Path) -> None:
    equivalent = tomllib.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    lines = ["# Mutation testing report", "",
             f"Generated by `python tools/mutation.py` (mutmut) on {dt.date.today().isoformat()}. "
             "Score = killed / (mutants - equivalent). Survivors marked *equivalent* are explained in "
             "`tools/mutation_equivalent.toml`; every other survivor is a test gap.", "",
             "| module | tests | mutants judged (of generated) | killed | equivalent | other survivors | score | minutes |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        eq = equivalent.get(r["module"], {})
        n = len(r["status"])
        killed = sum(s in KILLED for s in r["status"].values())
        n_eq = sum(name in eq for name in r["survivors"])
        gaps = len(r["survivors"]) - n_eq
        score = killed / (n - n_eq) if n - n_eq else float("nan")
        judged = f"{n} (of {r.get('generated', n)})"
        lines.append(f"| `{r['module']}` | {', '.join(f'`{t}`' for t in r['tests'])} | {judged} | {killed} | {n_eq} "
                     f"| {gaps} | {score:.1%} | {r['seconds'] / 60:.1f} |")
    notes = ROOT / "tools" / "mutation_notes.md"
    if notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").strip()]
    for r in results:
        eq = equivalent.get(r["module"], {})
        lines += ["", f"## `{r['module']}`: survivors", ""]
        if not r["survivors"]:
            lines.append("None.")
        for name, text in sorted(r["survivors"].items()):
            kind = f"equivalent: {eq[name]}" if name in eq else f"**not killed** ({r['status'][name]})"
            lines += [f"- `{name}` — {kind}", "", "  ```diff", *(f"  {x}" for x in text.splitlines()), "  ```"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    cfg = tomllib.loads(CONFIG.read_text())["modules"]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modules", default=",".join(cfg), help="comma-separated modules from tools/mutation.toml")
    ap.add_argument("--jobs", type=int, default=1, help="parallel mutant runs (default 1)")
    ap.add_argument("--sample", type=int, default=0,
                    help="judge a seeded random sample of this many mutants per module (0 = all)")
    ap.add_argument("--scratch", default="/tmp/acdsim-mutation", help="scratch folder for the mutated copies")
    ap.add_argument("--report", default=str(ROOT / "benchmarks" / "mutation_report.md"))
    ap.add_argument("--json", default=None, help="also write the raw verdicts here (merged with an existing file)")
    ap.add_argument("--report-only", nargs="*", metavar="JSON",
                    help="write the report from raw verdict files of earlier runs, mutate nothing")
    args = ap.parse_args(argv)
    if args.report_only is not None:
        merged = {}
        for f in args.report_only:
            merged |= {k: refresh(v) for k, v in json.loads(Path(f).read_text()).items()}
        write_report([merged[k] for k in cfg if k in merged], Path(args.report))
        return 0
    modules = [m for m in args.modules.split(",") if m]
    unknown = [m for m in modules if m not in cfg]
    if unknown:
        print(f"--modules: {unknown} not in {CONFIG.name}; allowed: {', '.join(cfg)}", file=sys.stderr)
        return 2
    raw_path = Path(args.json) if args.json else None
    previous = json.loads(raw_path.read_text()) if raw_path and raw_path.exists() else {}
    for m in modules:
        print(f"mutating {m} ...", flush=True)
        previous[m] = run_module(m, cfg[m]["tests"], Path(args.scratch), args.jobs, args.sample,
                                 cfg[m].get("pytest_plugins"))
        if raw_path:
            raw_path.write_text(json.dumps(previous, indent=1))
        write_report([previous[k] for k in cfg if k in previous], Path(args.report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
