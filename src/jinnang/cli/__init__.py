"""The `jinnang` command. Each area registers its commands in its own module here."""
import sys

from jinnang.cli.app import app


def main() -> None:
    # importing registers the commands on `app`
    from jinnang.cli import (  # noqa: F401
        alerts_cmds,
        coaching_cmds,
        config_cmds,
        db_cmds,
        documents_cmds,
        import_cmds,
        ingest_cmds,
        learn_cmds,
        load_cmds,
        ner_cmds,
        nlp_cmds,
        ocr_cmds,
        ops_cmds,
        pages_cmds,
        review_cmds,
        rules_cmds,
        service_cmds,
        users_cmds,
        worker_cmds,
    )
    from jinnang.core.errors import InputError
    from jinnang.core.settings import SettingsError, get_settings

    try:
        get_settings()  # a bad setting stops every command here, before any work
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        app()
    except InputError as exc:  # one a command did not answer itself (a store another process has open)
        print(f"error: {exc.field}: {exc.message}", file=sys.stderr)
        raise SystemExit(2) from None
