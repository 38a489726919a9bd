"""``marketplace seed demo`` and ``marketplace seed synthetic``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.seed.demo import database_is_empty, demo_credentials, seed_demo
from marketplace.seed.synthetic_contracts import generate_contracts
from marketplace.seed.synthetic_listings import generate_listings


@click.group("seed")
def seed_group() -> None:
    """Load demo or synthetic data."""


@seed_group.command("demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data into an empty database and print the sign-ins."""
    if not database_is_empty():
        click.echo("The database already has users; demo data not loaded.")
        credentials = demo_credentials()
    else:
        credentials = seed_demo()
    for role, email, password in credentials:
        click.echo(f"{role:<11} {email}  {password}")


@seed_group.command("synthetic")
@click.option("--achievements", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--demands", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--contracts", default=0, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--seed",
    "random_seed",
    default=2026,
    show_default=True,
    type=int,
    help="Random seed: the same seed gives the same data.",
)
@with_appcontext
def seed_synthetic_command(
    achievements: int, demands: int, contracts: int, random_seed: int
) -> None:
    """Generate realistic synthetic listings and contracts (for benchmarks and load tests)."""
    if achievements or demands:
        made = generate_listings(achievements=achievements, demands=demands, seed=random_seed)
        click.echo(f"listings: {made['achievements']} achievements, {made['demands']} demands")
    if contracts:
        count = generate_contracts(contracts, seed=random_seed)
        click.echo(f"contracts: {count}")
