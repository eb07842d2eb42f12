"""``acdsim compare A.toml B.toml …`` or ``acdsim compare A.toml --set agents=9,10``: what-if comparison."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from sim.cli_run import console, fail
from sim.scenario import ScenarioError, load_scenario


def compare_command(
    scenarios: list[Path] = typer.Argument(..., help="two or more scenario files (the first is the reference), "
                                                     "or one with --set"),
    set_: list[str] = typer.Option(None, "--set", help="variants of ONE scenario: PATH=VALUES, e.g. agents=9,10"),
    replications: int = typer.Option(None, "--replications", "-r", min=2, max=10000),
    seed: int = typer.Option(None, "--seed", "-s", min=0),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, max=512, help="local processes"),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786"),
    out: Path = typer.Option(Path("compare"), "--out", "-o", help="folder for compare.json/.csv/.html"),
    excel: bool = typer.Option(False, "--excel", help="also write compare.xlsx"),
    lang: str = typer.Option(None, "--lang", help="labels: en or zh (default: the first scenario's lang)"),
) -> None:
    """Run variants with common random numbers; print each metric's paired difference to the reference."""
    from sim.compare import compare
    from sim.compare_report import comparison_frame, write_excel, write_html
    from sim.labels import check_lang

    try:
        loaded = [load_scenario(p) for p in scenarios]
        lang = check_lang(lang or loaded[0].lang)
        from sim.outdir import check_out_path

        check_out_path(out)   # a bad --out is reported before the simulations run
    except (ScenarioError, ValueError) as err:
        fail(str(err))
    from sim.cli_errors import user_errors
    from sim.outdir import prepare_out_dir
    from sim.resume import PointStore

    # locked while simulating; replaced only on success; replications an interrupted comparison into --out
    # finished are reused
    with user_errors(), prepare_out_dir(out, "acdsim compare") as od:
        points = PointStore(od.work / "compare")
        try:
            with console.status(f"simulating {len(scenarios) if not set_ else 'the'} variants"):
                cmp = compare(loaded, labels=None if set_ else [p.stem for p in scenarios], sets=set_ or None,
                              replications=replications, seed=seed, jobs=jobs, scheduler=scheduler, points=points)
        except (ScenarioError, ValueError) as err:
            fail(str(err))
        except OSError as err:
            fail(f"cannot reach the Dask scheduler {scheduler!r}: {err}")
        if resumed := points.summary("replications"):
            console.print(f"resumed: {resumed}", highlight=False)
        st = od.staging
        (st / "compare.json").write_text(json.dumps(cmp.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        cmp.summary.to_csv(st / "compare.csv", index=False)
        cmp.per_replication.to_csv(st / "compare_replications.csv", index=False)
        write_html(cmp, st / "compare.html", lang)
        if excel:
            write_excel(cmp, st / "compare.xlsx", lang)
        od.commit()
        points.clear()       # the outputs are in place: nothing left to resume
    written = [out / n for n in ("compare.json", "compare.csv", "compare.html")] + ([out / "compare.xlsx"] if excel
                                                                                     else [])
    for note in cmp.notes:
        console.print(f"note: {note}", highlight=False)
    frame = comparison_frame(cmp, lang=lang)
    table = Table(title=f"reference: {cmp.labels[0]} ({cmp.replications} replications, common random numbers)")
    for col in frame.columns:
        table.add_column(str(col), justify="left" if col == frame.columns[0] else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*[str(v) for v in row])
    console.print(table)
    console.print("Δ = variant − reference, paired 95 % CI; * = the CI excludes 0")
    for row in cmp.targets.to_dict("records"):
        console.print(f"{row['variant']}: {row['metric']} {row['status']}", highlight=False)
    console.print("wrote " + ", ".join(str(p) for p in written))


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_command)
