"""`jobbro people …`: bulk import from a case system's export, and the retention rules."""

from __future__ import annotations

import click


@click.group("people")
def people() -> None:
    """People (ledige): import, export and the retention rules."""
