"""The `jinnang` command. Each area registers its commands in its own module here."""
from jinnang.cli.app import app


def main() -> None:
    # importing registers the commands on `app`
    from jinnang.cli import (  # noqa: F401
        coaching_cmds,
        ner_cmds,
        ocr_cmds,
        ingest_cmds,
        nlp_cmds,
        review_cmds,
        rules_cmds,
        service_cmds,
    )

    from jinnang.pipeline import talk_track_provider
    from jinnang.settings import get_settings

    rules_cmds.talk_track_provider = talk_track_provider(get_settings())
    app()
