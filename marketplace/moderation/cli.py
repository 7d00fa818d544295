"""`flask moderation ...`: load the code of conduct from the repository's data file."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from . import services

cli = AppGroup("moderation", help="Due process: code of conduct, sanctions, appeals.")


@cli.command("load-conduct")
def load_conduct() -> None:
    """Publish marketplace/moderation/data/code-of-conduct.txt as version 1 if no version exists yet."""
    version = services.load_data_file()
    db.session.commit()
    if version is None:
        click.echo(f"The code of conduct is already published (version {services.current_version().number}).")
    else:
        click.echo(f"Published the code of conduct, version {version.number}, with {len(version.clauses)} clauses.")
