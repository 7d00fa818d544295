"""`flask jobs ...`: import tasks from a file on the server, run queued imports."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from ..accounts.models import User
from ..core.errors import DomainError
from ..core.time import utcnow
from ..extensions import db
from . import services
from .importing import run_import
from .runner import run_queued_imports

cli = AppGroup("jobs", help="Requester jobs: task imports.")


@cli.command("import")
@click.argument("job_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--images", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="ZIP of images (bounding-box jobs).")
@click.option("--skip-invalid", is_flag=True, help="Keep valid rows and report the invalid ones "
                                                   "(default: all-or-nothing).")
def import_file(job_id: int, file: Path, images: Path | None, skip_invalid: bool) -> None:
    """Import JSONL or CSV tasks into JOB_ID through the same path as uploads, in this process."""
    try:
        job = services.get_job(job_id)
        requester = db.session.get(User, job.requester_id)
        with open(file, "rb") as stream, (open(images, "rb") if images else _Nothing()) as zip_stream:
            run = services.queue_import(job, requester, stream=stream, filename=file.name,
                                        mode="skip_invalid" if skip_invalid else "all_or_nothing",
                                        images=zip_stream if images else None)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    run = run_import(run.id)
    click.echo(f"import {run.id}: {run.status}: {run.message}")
    for error in run.errors_preview[:10]:
        click.echo(f"  line {error['line']}: {error['field']} {error['message']}")
    if run.status != "succeeded":
        raise SystemExit(1)


@cli.command("run-imports")
def run_imports() -> None:
    """Run queued imports now (what the scheduler does every minute)."""
    click.echo(f"{run_queued_imports(utcnow())} import(s) run or recovered")


class _Nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
