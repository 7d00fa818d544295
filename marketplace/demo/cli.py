"""`flask demo seed`: load the demo data and print the logins."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from .seed import DEMO_PASSWORD, seed_all

cli = AppGroup("demo", help="Demo data.")


@cli.command("seed")
def seed() -> None:
    """Create demo accounts and data (safe to run again)."""
    logins = seed_all()
    click.echo("")
    click.echo("Demo logins (password for all: %s)" % DEMO_PASSWORD)
    click.echo("-" * 72)
    for role, email, name in logins:
        click.echo(f"  {role:10} {email:32} {name}")
    click.echo("-" * 72)
