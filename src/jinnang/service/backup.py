"""Back up a data dir while the server runs, and restore one into an empty data dir.

    folder = backup(settings, Path("/srv/backups"))                  # …/jinnang-backup-20261206T081900Z/
    archive = backup(settings, Path("/srv/backups"), archive=True)   # …/jinnang-backup-….tar.gz
    restore(settings, archive)                                       # refuses a non-empty data dir
    restore(settings, folder, force=True)                            # moves the old one aside first

The SQLite databases (jinnang.sqlite3 and the embedded Chroma's chroma.sqlite3) are copied with
SQLite's online backup API, which reads a consistent snapshot while other connections keep writing
(WAL); every other file under the data dir (the uploaded files in blobs/, Chroma's vector segments,
the playbook store in playbook_search/, saved import mappings) is copied as it is. The manifest lists
each file with its size and SHA-256, the tables' row counts and a fingerprint of the schema; restore
checks all of them before it touches the data dir. A Chroma server (JINNANG_CHROMA_HOST) keeps its
vectors itself: the manifest says so, and its directory is backed up on that server.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinnang.core.errors import Conflict, InputError, NotFound
from jinnang.core.settings import Settings

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
DATABASE = "jinnang.sqlite3"
PREFIX = "jinnang-backup-"
# SQLite's side files: the backup API's copy has everything they hold
_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: int
    bytes: int
    manifest: dict[str, Any]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while a writer is busy (it retries pages a
    write changed), and a single file with no -wal beside it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source, timeout=30)  # only read; not "mode=ro", which cannot open a WAL file without its -shm
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=4096)
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy stands alone; WAL comes back when it is opened
    finally:
        dst.close()
        src.close()


def _is_database(path: Path) -> bool:
    if path.suffix != ".sqlite3":
        return False
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def _in_copy_order(data: Path) -> list[Path]:
    """jinnang's database first, then the plain files, then Chroma's database: whatever is written
    meanwhile, each copy is a superset of what the one before it refers to (a document row's
    uploaded file, a chunk row's vector; Chroma's log is at least as new as its vector segments)."""
    found = sorted(p for p in data.rglob("*") if p.is_file() and not _skipped(p.relative_to(data)))
    main = [p for p in found if p.relative_to(data).as_posix() == DATABASE]
    databases = [p for p in found if p not in main and _is_database(p)]
    return main + [p for p in found if p not in main and p not in databases] + databases


def _skipped(relative: Path) -> bool:
    name = relative.name
    return (any(name.endswith(side) for side in _SIDE_FILES) or name.endswith(".tmp") or name.endswith(".lock")
            or name == MANIFEST)


def schema_of(database: Path) -> dict[str, Any]:
    """The tables' row counts and a fingerprint of their definitions (a schema changed by a newer
    version gives another fingerprint)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                            "ORDER BY name").fetchall()
        counts = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name, _ in rows}
    finally:
        conn.close()
    fingerprint = hashlib.sha256("\n".join(f"{n}:{s}" for n, s in rows).encode()).hexdigest()[:16]
    return {"fingerprint": fingerprint, "tables": counts}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jinnang")
    except PackageNotFoundError:
        return "unknown"


def _snapshot(settings: Settings, folder: Path) -> dict[str, Any]:
    data = settings.data_dir
    if not (data / DATABASE).is_file():
        raise NotFound("data_dir", f"no database {DATABASE} under {data.resolve()}; nothing to back up")
    files: dict[str, dict[str, Any]] = {}
    for path in _in_copy_order(data):
        relative = path.relative_to(data)
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if _is_database(path):
            _copy_database(path, target)
        else:
            try:
                shutil.copy2(path, target)
            except FileNotFoundError:  # removed while we walked (a playbook rebuild's old file): not needed
                continue
        files[relative.as_posix()] = {"size": target.stat().st_size, "sha256": _sha256(target)}
    return {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "jinnang_version": _version(),
        "source_data_dir": str(data.resolve()),
        "vectors": f"server {settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else "embedded",
        "schema": schema_of(folder / DATABASE),
        "files": files,
    }


def backup(settings: Settings, dest: Path, *, archive: bool = False, now: dt.datetime | None = None) -> BackupResult:
    """Copy the data dir into `dest/jinnang-backup-<UTC time>/` (or a .tar.gz of it) with a manifest."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    if settings.database_url:  # a server's database is the server's to back up (docs/production.md)
        raise InputError("database_url", "the database is on a PostgreSQL server: back it up with "
                         "`pg_dump --format=custom DATABASE > jinnang.dump` (restore: `pg_restore --clean`), and the "
                         "data dir's blobs/ and playbook_search/ with the file system; this command backs up the "
                         "embedded SQLite default")
    if dest.resolve().is_relative_to(settings.data_dir.resolve()):
        raise InputError("dest", f"{dest} is inside the data dir {settings.data_dir}; a backup goes elsewhere")
    dest.mkdir(parents=True, exist_ok=True)
    name = PREFIX + stamp
    final = dest / (name + ".tar.gz" if archive else name)
    if final.exists():
        raise Conflict("dest", f"{final} exists already")
    with tempfile.TemporaryDirectory(prefix=".jinnang-backup-", dir=dest) as scratch:
        folder = Path(scratch) / name
        folder.mkdir()
        manifest = _snapshot(settings, folder)
        (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        if archive:
            partial = Path(scratch) / (name + ".tar.gz")
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(folder, arcname=name)
            os.replace(partial, final)
        else:
            os.replace(folder, final)  # appears whole or not at all
    total = sum(f["size"] for f in manifest["files"].values())
    log.info("backup of %s written to %s: %d files, %d bytes", settings.data_dir, final, len(manifest["files"]), total)
    return BackupResult(final, len(manifest["files"]), total, manifest)


def _unpack(source: Path, scratch: Path) -> Path:
    if source.is_dir():
        return source
    if not tarfile.is_tarfile(source):
        raise InputError("src", f"{source} is neither a backup folder nor a .tar.gz of one")
    with tarfile.open(source) as tar:
        tar.extractall(scratch, filter="data")  # "data": no absolute paths, links out or devices
    folders = [p for p in scratch.iterdir() if p.is_dir()]
    if len(folders) != 1:
        raise InputError("src", f"{source} must hold one backup folder, not {len(folders)}")
    return folders[0]


def verify(folder: Path) -> dict[str, Any]:
    """The manifest of a backup folder, after checking every file's size and SHA-256 and the
    database's row counts against it; an InputError(field="src") names the first mismatch."""
    path = folder / MANIFEST
    if not path.is_file():
        raise InputError("src", f"{folder} has no {MANIFEST}: not a jinnang backup")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError("src", f"{path} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError("src", f"{path}: backup format {manifest.get('format') if isinstance(manifest, dict) else '?'}"
                                f" is not {FORMAT}, the one this version reads")
    listed = manifest.get("files") or {}
    if DATABASE not in listed:
        raise InputError("src", f"{path} lists no {DATABASE}")
    for relative, expected in listed.items():
        file = folder / relative
        if not file.is_file():
            raise InputError("src", f"{relative} is listed in the manifest but missing")
        if file.stat().st_size != expected["size"] or _sha256(file) != expected["sha256"]:
            raise InputError("src", f"{relative} differs from the manifest (size or SHA-256): the backup is damaged")
    found = schema_of(folder / DATABASE)
    if found != manifest.get("schema"):
        raise InputError("src", f"{DATABASE}'s tables differ from the manifest's schema")
    return manifest


def _move_blob_paths(database: Path, data_dir: Path) -> int:
    """Documents keep their uploaded file's path; point those under the old blobs/ at the new one."""
    conn = sqlite3.connect(database)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'documents'").fetchone():
            return 0
        moved = 0
        with conn:
            for document_id, blob_path in conn.execute("SELECT id, blob_path FROM documents").fetchall():
                old = Path(blob_path)
                if old.parent.name == "blobs":
                    new = str(data_dir / "blobs" / old.name)
                    if new != blob_path:
                        conn.execute("UPDATE documents SET blob_path = ? WHERE id = ?", (new, document_id))
                        moved += 1
        return moved
    finally:
        conn.close()


def restore(settings: Settings, source: Path, *, force: bool = False,
            now: dt.datetime | None = None) -> dict[str, Any]:
    """Check the backup, then make it the data dir. A data dir with anything in it is refused unless
    `force`, and then moved aside (never deleted) to `<data dir>.before-restore-<time>`. The service
    must be stopped meanwhile: a running one keeps the old database open."""
    if not source.exists():
        raise NotFound("src", f"no backup at {source}")
    data = settings.data_dir
    occupied = data.exists() and any(data.iterdir())
    if occupied and not force:
        raise Conflict("data_dir", f"{data.resolve()} is not empty; restore into an empty data dir, or pass --force "
                                   "to move the current one aside first")
    data.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".jinnang-restore-", dir=data.parent) as scratch:
        folder = _unpack(source, Path(scratch))
        manifest = verify(folder)
        staged = Path(scratch) / "staged"
        if folder.is_relative_to(scratch):  # unpacked from an archive: ours to move
            os.replace(folder, staged)
            (staged / MANIFEST).unlink()
        else:  # a backup folder stays as it was
            shutil.copytree(folder, staged, ignore=shutil.ignore_patterns(MANIFEST))
        moved = _move_blob_paths(staged / DATABASE, data)
        aside = None
        if occupied:
            stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
            aside = data.with_name(f"{data.name}.before-restore-{stamp}")
            os.replace(data, aside)
        elif data.exists():
            data.rmdir()
        os.replace(staged, data)
    log.info("restored %s into %s (%d files)%s", source, data, len(manifest["files"]),
             f"; the previous data dir is at {aside}" if aside else "")
    return {"data_dir": str(data.resolve()), "files": len(manifest["files"]), "created_at": manifest["created_at"],
            "schema": manifest["schema"]["fingerprint"], "blob_paths_moved": moved,
            "previous_data_dir": str(aside) if aside else None}
