"""The `hotpapers bench` command: measures the store and engine against same-run baselines."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--scale",
    type=click.Choice(["small", "medium", "arxiv"]),
    default="small",
    show_default=True,
    help=(
        "small: a smoke run under a minute; medium: 300k papers, 3M observations; "
        "arxiv: 3M papers, 30M observations (long)."
    ),
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every figure to this JSON file.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("bench/data"),
    show_default=True,
    envvar="HOTPAPERS_BENCH_DATA",
    help="Where the generated store is built once and reused.",
)
def bench(scale: str, json_path: Path | None, data_dir: Path) -> None:
    """Benchmark ingest, queries, rendering, start-up, memory and size, each against a baseline."""
    from rich.console import Console

    from bot.bench.datagen import SCALES
    from bot.bench.report import result_table, write_json
    from bot.bench.runner import run_bench

    err = Console(stderr=True)
    try:
        result = run_bench(SCALES[scale], data_dir, lambda msg: err.print(f"[dim]{msg}[/dim]"))
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    Console(width=120).print(result_table(result))
    if json_path is not None:
        write_json(result, json_path)
        click.echo(f"wrote {json_path}")
