"""`leadflow predict train|score`: learn a conversion model from a CSV or the database's outcomes; score a CSV."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

predict_app = typer.Typer(help="Predictive scoring: the probability that a lead converts, learned from outcomes.",
                          no_args_is_help=True)


def _console() -> Console:
    return Console(stderr=True, highlight=False, log_path=False)


def _fail(message: str) -> typer.Exit:
    _console().print(f"[red]error:[/red] {message}")
    return typer.Exit(2)


@predict_app.command("train")
def train(
    file: Annotated[Path | None, typer.Argument(help="a CSV, TSV or XLSX of leads; none: the database's won and "
                                                     "lost leads", show_default=False)] = None,
    target: Annotated[str | None, typer.Option("--target", help="the column that says whether the lead converted")
                      ] = None,
    model: Annotated[Path | None, typer.Option("--model", help="where to save the model (joblib)")] = None,
    positive: Annotated[str | None, typer.Option("--positive", help="the target value that means converted "
                                                 "(default: 1/yes/true/converted/won, else the rarer value)")] = None,
    drop: Annotated[list[str] | None, typer.Option("--drop", help="leave out this column (repeatable)")] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="cross-validation folds")] = 5,
    stale_days: Annotated[int, typer.Option("--stale-days", min=1, help="database: a lead this old that never went "
                                            "past MQL counts as lost")] = 180,
) -> None:
    """Learn a conversion model and print its cross-validated AUC (stratified k-fold)."""
    from leadflow.scoring.predict import columns as predict_columns
    from leadflow.scoring.predict import model as predict_model

    console = _console()
    started = time.perf_counter()
    if file is None:
        _train_from_database(console, model, stale_days)
        return
    if not target:
        raise _fail("--target COLUMN is required with a file (the column that says whether the lead converted)")
    if model is None:
        raise _fail("--model PATH is required with a file (where to save the model)")
    try:
        with console.status("reading the file") as status:
            frame = predict_columns.read_table(file)
            learned = predict_model.train(frame, target, positive=positive, drop=tuple(drop or ()), folds=folds,
                                    progress=lambda message: (status.update(message), console.log(message)))
        predict_model.save(learned, model)
    except predict_columns.PredictError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{model}: cannot write the model ({exc.strerror})") from None
    _report(console, learned, time.perf_counter() - started)
    console.print(f"model saved to {model}")


def _train_from_database(console: Console, path: Path | None, stale_days: int) -> None:
    from leadflow.console import open_db
    from leadflow.db import reading
    from leadflow.scoring.predict import columns as predict_columns
    from leadflow.scoring.predict import model as predict_model
    from leadflow.scoring.predict import service as predict_service

    _, engine, factory = open_db()
    started = time.perf_counter()
    try:
        with console.status("reading won and lost leads") as status:
            stored = predict_service.train_from_database(
                factory, stale_days=stale_days, progress=lambda message: (status.update(message),
                                                                          console.log(message)))
        learned = predict_model.load(stored.blob)
        with reading(factory)() as session:
            scored = session.scalar(_count_predictions(stored.id))
        if path is not None:
            predict_model.save(learned, path)
    except predict_columns.PredictError as exc:
        raise _fail(str(exc)) from None
    finally:
        engine.dispose()
    _report(console, learned, time.perf_counter() - started)
    console.print(f"model {stored.id} is active; {scored:,} open lead(s) scored"
                  + (f"; saved to {path}" if path else ""))


def _count_predictions(model_id: int):
    from sqlalchemy import func, select

    from leadflow.scoring.models import LeadPrediction

    return select(func.count()).select_from(LeadPrediction).where(LeadPrediction.model_id == model_id)


def _report(console: Console, learned, seconds: float) -> None:
    for name, reason in learned.dropped.items():
        console.print(f"left out {name!r}: {reason}")
    for warning in learned.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    kinds = ", ".join(f"{c.name} ({c.kind.replace('_', ' ')})" for c in learned.columns)
    console.print(f"features: {kinds}")
    typer.echo(f"cross-validated AUC {learned.auc:.3f} ± {learned.auc_std:.3f} on {learned.rows:,} rows "
               f"({learned.positive_rate:.1%} {learned.target} = {learned.positive!r}) in {seconds:.1f} s")


@predict_app.command("score")
def score(
    file: Annotated[Path, typer.Argument(help="a CSV, TSV or XLSX of leads (the model's columns; others ignored)")],
    model: Annotated[Path, typer.Option("--model", help="a model saved by `leadflow predict train`")],
    out: Annotated[Path, typer.Option("--out", help="the CSV to write: id, probability")],
    id_column: Annotated[str | None, typer.Option("--id-column", help="the column that names each row "
                                                  "(default: the row number)")] = None,
    drivers: Annotated[int, typer.Option("--drivers", min=0, max=10, help="also write the N features that moved "
                                         "each probability most (slower)")] = 0,
) -> None:
    """Write one probability of conversion per row, beside its id."""
    import pandas as pd

    from leadflow.scoring.predict import columns as predict_columns
    from leadflow.scoring.predict import model as predict_model

    console = _console()
    started = time.perf_counter()
    try:
        with console.status("scoring"):
            learned = predict_model.open_model(model)
            frame = predict_columns.read_table(file)
            if id_column is not None and id_column not in frame.columns:
                raise predict_columns.PredictError(f"no column {id_column!r} in {file}")
            missing = [c.name for c in learned.columns if c.name not in frame.columns]
            if drivers:
                probabilities, explained = predict_model.explain(learned, frame, top=drivers)
            else:
                probabilities, explained = predict_model.probabilities(learned, frame), None
            ids = frame[id_column] if id_column else pd.Series(range(1, len(frame) + 1))
            result = pd.DataFrame({id_column or "row": ids.to_numpy(), "probability": probabilities.round(6)})
            if explained is not None:
                result["drivers"] = ["; ".join(f"{d.feature} {d.effect:+.3f}" for d in row) for row in explained]
            result.to_csv(out, index=False)
    except predict_columns.PredictError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{out}: cannot write ({exc.strerror})") from None
    if missing:
        console.print(f"[yellow]note:[/yellow] not in the file, taken as missing: {', '.join(missing)}")
    typer.echo(f"{len(result):,} rows scored into {out} in {time.perf_counter() - started:.1f} s "
               f"(model AUC {learned.auc:.3f}, mean probability {float(probabilities.mean()):.3f})")
