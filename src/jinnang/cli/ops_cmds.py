"""`jinnang backup DEST` and `jinnang restore SRC`: the data dir copied while the server runs, and put back."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from jinnang.cli.app import app
from jinnang.core.errors import InputError
from jinnang.core.settings import get_settings


@app.command()
def backup(dest: Annotated[Path, typer.Argument(help="folder to write the dated backup into")],
           archive: Annotated[bool, typer.Option("--tar", help="write one .tar.gz instead of a folder")] = False,
           as_json: Annotated[bool, typer.Option("--json", help="print the result as one JSON object")] = False) -> None:
    """Back up the data dir (database, uploaded files, vectors, playbook) into DEST/jinnang-backup-<UTC time>
    with a manifest of sizes and SHA-256; safe while `jinnang serve` runs."""
    from jinnang.service.backup import backup as run_backup

    try:
        result = run_backup(get_settings(), dest, archive=archive)
    except InputError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    summary = {"path": str(result.path), "files": result.files, "bytes": result.bytes,
               "schema": result.manifest["schema"]["fingerprint"], "vectors": result.manifest["vectors"]}
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    typer.echo(f"backup written to {result.path} ({result.files} files, {result.bytes:,} bytes)")
    if result.manifest["vectors"] != "embedded":
        typer.echo(f"note: vectors are on the Chroma {result.manifest['vectors']}; back up its directory there",
                   err=True)


@app.command()
def restore(src: Annotated[Path, typer.Argument(help="a backup folder or .tar.gz written by `jinnang backup`")],
            force: Annotated[bool, typer.Option("--force", help="move a non-empty data dir aside and restore anyway")]
            = False,
            as_json: Annotated[bool, typer.Option("--json", help="print the result as one JSON object")] = False) -> None:
    """Check a backup against its manifest and make it the data dir (stop the service first). A data dir
    that holds anything is refused unless --force, which moves it to <data dir>.before-restore-<time>."""
    from jinnang.service.backup import restore as run_restore

    try:
        result = run_restore(get_settings(), src, force=force)
    except InputError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(f"restored {result['files']} files from the backup of {result['created_at']} into {result['data_dir']}")
    if result["previous_data_dir"]:
        typer.echo(f"the previous data dir was moved to {result['previous_data_dir']}")
