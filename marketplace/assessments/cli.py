"""`flask assessments ...`: import assessment files (validated, all or nothing)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..core.errors import DomainError
from ..extensions import db
from . import bank

cli = AppGroup("assessments", help="Assessments and qualifications.")


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and report, change nothing.")
def import_files(files: tuple[Path, ...], dry_run: bool) -> None:
    """Import (or update) assessments from FILES; every problem is listed and nothing is changed on error."""
    for path in files:
        try:
            summary = bank.import_path(path)
        except DomainError as exc:
            db.session.rollback()
            click.echo(f"{path}: {exc.message}", err=True)
            for problem in getattr(exc, "errors", None) or []:
                click.echo(f"  - {problem}", err=True)
            raise SystemExit(1) from exc
        if dry_run:
            db.session.rollback()
            click.echo(f"{path}: valid. Would do: {summary.describe()}")
        else:
            db.session.commit()
            click.echo(f"{path}: {summary.describe()}")
