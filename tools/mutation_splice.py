"""Put some modules' rows and survivor sections from a freshly written mutation report into the kept one.

``tools/mutation.py`` writes a whole report from the verdicts it has; a job that re-measured only some modules
(``--modules``) uses this to replace just those modules' table rows and ``## `module`: survivors`` sections in
``benchmarks/mutation_report.md``, leaving every other module's row, section and the notes as they are:

    python tools/mutation.py --report-only run.json --report /tmp/new.md
    python tools/mutation_splice.py /tmp/new.md benchmarks/mutation_report.md sim/model.py,sim/agents.py

A module without a row yet is added after the row of the module before it in ``tools/mutation.toml``.
"""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rows(text: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r"^\| `([^`]+)` \|.*$", text, re.M)}


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"(?=^## `)", text, flags=re.M)
    return {re.match(r"## `([^`]+)`", p).group(1): p for p in parts if p.startswith("## `")}


def splice(new: str, kept: str, modules: list[str]) -> str:
    order = list(tomllib.loads((ROOT / "tools" / "mutation.toml").read_text())["modules"])
    new_rows, new_sections = _rows(new), _sections(new)
    for m in modules:
        if m not in new_rows or m not in new_sections:
            raise SystemExit(f"{m}: no row or survivors section in the new report")
        rows, sections = _rows(kept), _sections(kept)
        if m in rows:
            kept = kept.replace(rows[m], new_rows[m])
        else:
            before = [b for b in order[:order.index(m)] if b in rows]
            anchor = rows[before[-1]] if before else None
            kept = kept.replace(anchor, anchor + "\n" + new_rows[m]) if anchor else kept
        section = new_sections[m].rstrip("\n") + "\n\n"
        if m in sections:
            kept = kept.replace(sections[m], section)
        else:
            before = [b for b in order[:order.index(m)] if b in sections]
            anchor = sections[before[-1]]
            kept = kept.replace(anchor, anchor + section)
    return kept.rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    new, kept, modules = Path(argv[0]).read_text(), Path(argv[1]), [m for m in argv[2].split(",") if m]
    kept.write_text(splice(new, kept.read_text(), modules))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
