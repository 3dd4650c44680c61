"""`jobbro forwarding …`: run the forwarding rules now (the same code as the 15-minute job)."""

from __future__ import annotations

import json

import click


def register(cli: click.Group) -> None:
    cli.add_command(forwarding)


@click.group()
def forwarding() -> None:
    """Forward vacancies their owners cannot fill (videregivelse)."""


@forwarding.command("evaluate")
@click.option("--dry-run", is_flag=True, help="Show what would be forwarded; change nothing.")
def evaluate_command(dry_run: bool) -> None:
    """Apply every owner's forwarding rules now and print what was (or would be) forwarded."""
    from matching.core.settings import Settings
    from matching.models import utcnow
    from matching.vacancies.forwarding.decisions import evaluate, propose
    from workers import runtime

    rt = runtime.init(Settings.from_env())
    with rt.session() as session:
        if dry_run:
            proposals = propose(session, utcnow())
            for proposal in proposals:
                click.echo(json.dumps(proposal.to_dict(), ensure_ascii=False))
            click.echo(f"{len(proposals)} forwarding(s) would be made (dry run).")
            session.rollback()
            return
        result = evaluate(session, utcnow(), base_url=rt.settings.base_url)
    click.echo(json.dumps(result.to_dict()))
