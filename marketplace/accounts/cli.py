"""`flask accounts ...` commands: admins are created only here."""
from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from ..core.errors import DomainError
from ..extensions import db
from . import services

cli = AppGroup("accounts", help="Manage accounts.")


@cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", help="Name to show.")
@click.option("--password-env", default="FAIRTRAIN_ADMIN_PASSWORD",
              help="Environment variable holding the password (asked for interactively when unset).")
def create_admin(email: str, name: str, password_env: str) -> None:
    """Create an admin account with EMAIL (the only way to make an admin)."""
    password = os.environ.get(password_env) or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_admin(email, password, display_name=name)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    click.echo(f"Admin {user.email} created.")
