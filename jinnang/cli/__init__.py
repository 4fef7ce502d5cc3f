"""The `jinnang` command. Each area registers its commands in its own module here."""
from jinnang.cli.app import app


def main() -> None:
    # importing registers the commands on `app`
    from jinnang.cli import (  # noqa: F401
        coaching_cmds,
        ingest_cmds,
        nlp_cmds,
        review_cmds,
        rules_cmds,
        service_cmds,
    )

    app()
