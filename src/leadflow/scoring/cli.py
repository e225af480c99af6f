"""`leadflow rescore` and `leadflow scoring backtest | export | import`: the scoring model from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

scoring_app = typer.Typer(help="Scoring rule sets: backtest, export, import.", no_args_is_help=True)


def rescore(rule_set: Annotated[int | None, typer.Option("--rule-set", help="activate this rule set version id "
                                                          "first")] = None,
            processes: Annotated[int | None, typer.Option("--processes", min=1, help="processes working at once "
                                                          "(default: 2, or 1 on a one-core machine)")] = None
            ) -> None:
    """Rescore every lead from its event history under the active rule set (committing per chunk, in parallel)."""
    from sqlalchemy import func, select

    from leadflow.console import open_db
    from leadflow.errors import Invalid, NotFound
    from leadflow.leads.models import Lead
    from leadflow.scoring import rescore_service
    from leadflow.scoring import service as scoring_service
    from leadflow.scoring.models import ScoringRun

    settings, _, factory = open_db()
    with factory() as session:
        try:
            if rule_set is not None:
                run = scoring_service.activate(rule_set, session=session, actor="cli")
            else:
                rule_set_id, _ = scoring_service.active_rule_set(session=session)
                total = session.scalar(select(func.count()).select_from(Lead).where(Lead.merged_into_id.is_(None)))
                run = ScoringRun(kind="rescore", rule_set_id=rule_set_id, status="queued", created_by="cli",
                                 total=total or 0, done=0, last_lead_id=0, result={})
                session.add(run)
                session.flush()
        except (Invalid, NotFound) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        session.commit()
        run_id, total = run.id, run.total
    with Progress(TextColumn("rescoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        task = bar.add_task("rescore", total=total)
        run = rescore_service.rescore(factory, settings.database_url, run_id, processes=processes,
                                      progress=lambda leads: bar.advance(task, leads))
    if run.status == "failed":
        typer.echo(f"rescore failed: {run.error}", err=True)
        raise typer.Exit(1)
    typer.echo(f"rescored {run.done} leads ({run.status}); {(run.result or {}).get('changed', 0)} changed score, "
               f"grade or band", err=True)


@scoring_app.command("backtest")
def backtest(rules_file: Annotated[Path | None, typer.Option("--rules", help="the proposed rule set (JSON or "
                                                                "YAML); default: the newest draft")] = None) -> None:
    """Replay the history against the current and the proposed rule set: leads and conversion per band, lift, AUC."""
    from sqlalchemy import select

    from leadflow.console import open_db
    from leadflow.db import reading
    from leadflow.errors import Invalid
    from leadflow.scoring import service as scoring_service
    from leadflow.scoring.models import RuleSet

    _, _, factory = open_db()
    try:
        with factory() as session:
            rule_set_id, _ = scoring_service.active_rule_set(session=session)
            current = scoring_service.get_rule_set(rule_set_id, session=session)
            if rules_file is not None:
                proposed = scoring_service.parse_text(rules_file.read_text("utf-8"),
                                                      "json" if rules_file.suffix == ".json" else None)
                label = str(rules_file)
            else:
                draft = session.scalar(select(RuleSet).where(RuleSet.status == "draft")
                                       .order_by(RuleSet.version.desc()).limit(1))
                if draft is None:
                    typer.echo("no proposed rules: give --rules FILE or save a draft first", err=True)
                    raise typer.Exit(2)
                proposed, label = draft.definition, f"draft v{draft.version}"
            session.commit()  # the shipped rule set becomes version 1 on first use
        with reading(factory)() as session:  # the replay reads every lead's history: it holds no write lock
            results = scoring_service.backtest({"current": current.definition, "proposed": proposed}, session=session)
    except Invalid as exc:
        for error in exc.errors:
            typer.echo(f"{error.field}: {error.reason}", err=True)
        raise typer.Exit(1) from None
    names = {"current": f"current (v{current.version})", "proposed": f"proposed ({label})"}
    for name, figures in results.items():
        auc = f"{figures.auc:.3f}" if figures.auc is not None else "n/a"
        typer.echo(f"{names[name]}: leads {figures.leads}  won {figures.won}  base rate {figures.base_rate:.1%}  "
                   f"AUC {auc}")
        for band in figures.bands:
            typer.echo(f"  {band.band:<5} leads {band.leads:>8}  won {band.won:>7}  conversion {band.rate:6.1%}  "
                       f"lift {band.lift:5.2f}")


@scoring_app.command("export")
def export(out: Annotated[Path | None, typer.Argument(help="file to write (.json or .yaml); default: stdout")] = None,
           version: Annotated[int | None, typer.Option(help="rule set version; default: the active one")] = None,
           fmt: Annotated[str | None, typer.Option("--format", help="json or yaml")] = None) -> None:
    """Write a rule set's definition as JSON or YAML."""
    from sqlalchemy import select

    from leadflow.console import open_db
    from leadflow.scoring import service as scoring_service
    from leadflow.scoring.models import RuleSet

    fmt = fmt or ("json" if out is not None and out.suffix == ".json" else "yaml")
    _, _, factory = open_db()
    with factory() as session:
        if version is None:
            rule_set_id, _ = scoring_service.active_rule_set(session=session)
            row = scoring_service.get_rule_set(rule_set_id, session=session)
        else:
            row = session.scalar(select(RuleSet).where(RuleSet.version == version))
            if row is None:
                typer.echo(f"no rule set version {version}", err=True)
                raise typer.Exit(1)
        text = scoring_service.export_text(row.definition, fmt)
        session.commit()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, "utf-8")
        typer.echo(f"rule set v{row.version} written to {out}", err=True)


@scoring_app.command("import")
def import_rules(path: Annotated[Path, typer.Argument(help="a rule set as JSON or YAML")],
                 activate: Annotated[bool, typer.Option("--activate", help="activate it (a background rescore "
                                                        "follows; run `leadflow rescore` to do it now)")] = False
                 ) -> None:
    """Save a rule set from a file as a new draft (validated; problems are listed with their path)."""
    from leadflow.console import open_db
    from leadflow.errors import Invalid
    from leadflow.scoring import service as scoring_service

    _, _, factory = open_db()
    with factory() as session:
        try:
            definition = scoring_service.parse_text(path.read_text("utf-8"),
                                                    "json" if path.suffix == ".json" else None)
            row = scoring_service.create_draft(definition, session=session, actor="cli")
            if activate:
                scoring_service.activate(row.id, session=session, actor="cli")
        except Invalid as exc:
            for error in exc.errors:
                typer.echo(f"{error.field}: {error.reason}", err=True)
            raise typer.Exit(1) from None
        session.commit()
        typer.echo(f"rule set v{row.version} saved as {row.status}", err=True)
