"""``marketplace seed demo`` and ``marketplace seed synthetic``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("seed")
def seed_group() -> None:
    """Load demo or synthetic data."""


@seed_group.command("demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data into an empty database and print the sign-ins."""
    from marketplace.seed.demo import database_is_empty, demo_credentials, seed_demo

    if not database_is_empty():
        click.echo("The database already has users; demo data not loaded.")
        credentials = demo_credentials()
    else:
        credentials = seed_demo()
    for role, email, password in credentials:
        click.echo(f"{role:<11} {email}  {password}")
