"""Every notebook runs top to bottom (small horizons via ACDSIM_QUICK=1), and the tables it shows are its run's.

Each notebook is executed once with one extra cell appended that saves the notebook's results object ``res``
(``res.save``: summary.json). Tables the notebook displays with ``res.summary`` or ``res.check_targets()``
are parsed from the executed output and compared with that summary.json (pandas prints 6 decimals).
"""
from __future__ import annotations

import json
import os
import math
from html.parser import HTMLParser
from pathlib import Path

import nbclient
import nbformat
import pandas as pd
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_notebooks_are_found():
    assert len(NOTEBOOKS) >= 4, f"notebooks moved? found {NOTEBOOKS} in {NOTEBOOK_DIR}"


def test_notebooks_are_committed_without_outputs():
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        for cell in book.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """path -> (executed notebook, folder with the notebook's saved ``res`` or None); run lazily, once each."""
    cache: dict = {}
    mp = pytest.MonkeyPatch()
    mp.setenv("ACDSIM_QUICK", "1")
    mp.setenv("MPLBACKEND", "Agg")
    # the kernel must import this checkout's code, not whichever copy is installed
    root = str(Path(__file__).resolve().parents[1])
    mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))

    def run(path: Path):
        if path not in cache:
            out = tmp_path_factory.mktemp(path.stem)
            book = nbformat.read(path, as_version=4)
            book.cells.append(nbformat.v4.new_code_cell(
                f"if 'res' in globals() and hasattr(res, 'save'):\n    res.save({str(out)!r})"))
            client = nbclient.NotebookClient(book, timeout=600, kernel_name="python3",
                                             resources={"metadata": {"path": str(path.parent)}})
            client.execute()  # raises CellExecutionError naming the failing cell
            cache[path] = (book, out if (out / "summary.json").exists() else None)
        return cache[path]

    yield run
    mp.undo()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, executed):
    book, _ = executed(path)
    assert all(c.execution_count for c in book.cells if c.cell_type == "code")
    if path.name.startswith("01_"):  # the quickstart's plots must show as pictures, not "<Figure size …>"
        outputs = [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert len(images) >= 3, "quickstart plots did not render inline"
        assert not any("<Figure size" in str(o.get("data", {}).get("text/plain", "")) and "image/png" not in
                       o.get("data", {}) for o in outputs)


class _Rows(HTMLParser):
    """Cell texts per <tr> of a pandas HTML table (the notebook's rich display; the text one wraps)."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def shown_table(cell) -> pd.DataFrame:
    """The displayed DataFrame, read back from its HTML output (first column: the index)."""
    html = next(o["data"]["text/html"] for o in cell.outputs if o.get("output_type") == "execute_result")
    parser = _Rows()
    parser.feed(html)
    header, *body = [r for r in parser.rows if r]
    body = [r for r in body if len(r) == len(header) and any(r[1:])]  # drop the index-name line ('metric')
    return pd.DataFrame(body, columns=["index", *header[1:]])


def test_displayed_summaries_equal_summary_json(executed):
    compared = []
    for path in NOTEBOOKS:
        book, saved = executed(path)
        shown = [c for c in book.cells if c.cell_type == "code"
                 and c.source.strip().splitlines()[-1:] in (["res.summary"], ["res.check_targets()"])]
        if not shown:
            continue
        assert saved is not None, f"{path.name} shows res but saved none"
        summary = json.loads((saved / "summary.json").read_text(encoding="utf-8"))
        for cell in shown:
            table = shown_table(cell)
            if cell.source.strip().endswith("res.summary"):
                # pandas shows the head and tail of a long summary, with a '...' row between
                rows = {r["index"]: r for _, r in table.iterrows() if r["index"] != "..."}
                assert len(rows) >= 10 and set(rows) <= set(summary["metrics"])
                for name, row in rows.items():
                    for key in ("mean", "ci_low", "ci_high"):
                        assert_shown(row[key], summary["metrics"][name][key], f"{path.name} {name} {key}")
            else:
                rows = {r["metric"]: r for _, r in table.iterrows()}
                assert set(rows) == {t["metric"] for t in summary["targets"]}
                for t in summary["targets"]:
                    for key in ("mean", "ci_low", "ci_high"):
                        assert_shown(rows[t["metric"]][key], t[key], f"{path.name} target {t['metric']} {key}")
                    assert rows[t["metric"]]["status"] == t["status"]
            compared.append((path.name, cell.source.strip().splitlines()[-1]))
    # quickstart: res.summary and res.check_targets(); staffing: res.check_targets()
    assert len(compared) >= 3, compared


def assert_shown(shown, value, what: str) -> None:
    x = float(shown)
    if value is None:
        assert math.isnan(x), what
    else:
        assert x == pytest.approx(value, rel=1e-5, abs=1e-6), f"{what}: shown {shown}, summary.json {value}"
