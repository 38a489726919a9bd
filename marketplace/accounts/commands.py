"""``marketplace users …`` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.accounts.services import create_user
from marketplace.errors import ValidationError
from marketplace.vocab import ORG_KINDS, ROLES


@click.group("users")
def users_group() -> None:
    """Manage user accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES.codes))
@click.option("--org", "org_name", required=True, help="Organisation name (created if new).")
@click.option("--org-kind", required=True, type=click.Choice(ORG_KINDS.codes))
@click.option("--region", default=None, help="GB/T 2260 code, e.g. 330300.")
@click.option("--name", default="")
@with_appcontext
def create_user_command(
    email: str,
    password: str,
    role: str,
    org_name: str,
    org_kind: str,
    region: str | None,
    name: str,
) -> None:
    """Create a user of any role (brokers and admins are created this way or by an admin)."""
    try:
        user = create_user(
            email=email,
            password=password,
            role=role,
            org_name=org_name,
            org_kind=org_kind,
            region=region,
            name=name,
        )
    except ValidationError as error:
        for field, message in error.fields.items():
            click.echo(f"{field}: {message}", err=True)
        raise SystemExit(2) from None
    click.echo(f"created user {user.id} {user.email} ({user.role}) in {user.org.name}")
