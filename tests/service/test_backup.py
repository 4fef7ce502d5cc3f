"""Backups of a real data dir (SQLite, embedded Chroma, playbook store, uploaded files) and their restore."""
from __future__ import annotations

import json
import sqlite3
import tarfile
import threading
from pathlib import Path

import pytest

from jinnang.core.access import Viewer
from jinnang.core.db import open_engine
from jinnang.core.errors import Conflict, InputError
from jinnang.core.paths import DEMO_DOCUMENTS
from jinnang.core.settings import Settings
from jinnang.core.users import add_user, list_users
from jinnang.service.backup import DATABASE, MANIFEST, backup, restore, verify

NOTES = ("note-01-jinhua.txt", "note-02-jinhua.txt", "note-03-ningbo.txt", "note-09-quzhou.txt")
QUERY = "主任问陶瓷内衬有没有国内长期随访数据"


def _rows(settings: Settings, sql: str) -> list[tuple]:
    conn = sqlite3.connect(settings.sqlite_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _state(settings: Settings) -> dict[str, object]:
    from jinnang.coaching.search import search_hits

    hits = search_hits(settings, QUERY, k=5, viewer=Viewer(role="manager", subject="mgr-02", team=frozenset(
        {"rep-07", "rep-08"})))
    return {
        "documents": _rows(settings, "SELECT id, status, sha256, account_id FROM documents ORDER BY id"),
        "accounts": _rows(settings, "SELECT * FROM rules_accounts ORDER BY 1"),
        "users": sorted((u.username, u.role, u.rep_id) for u in list_users(open_engine(settings.db_url))),
        "hits": [h.doc_id for h in hits],
    }


@pytest.fixture(scope="module")
def populated(tmp_path_factory) -> Settings:
    from jinnang.service.demo import ensure_demo_users
    from jinnang.service.pipeline import DEFAULT_HOOKS, ingest_bytes

    settings = Settings(data_dir=tmp_path_factory.mktemp("live") / "data")
    ensure_demo_users(settings)
    meta = {m["file"]: m for m in map(json.loads, (DEMO_DOCUMENTS / "manifest.jsonl").read_text().splitlines())}
    for name in NOTES:
        m = meta[name]
        _, job = ingest_bytes(settings, (DEMO_DOCUMENTS / name).read_bytes(), name, hooks=DEFAULT_HOOKS,
                              kind=m["kind"], account_id=m["account_id"], rep_id=m["rep_id"], hospital=m["hospital"])
        assert job is not None and job.status == "done", job.error if job else None
    return settings


def test_a_restored_archive_has_the_same_documents_accounts_users_and_search_hits(populated, tmp_path):
    before = _state(populated)
    assert len(before["documents"]) == len(NOTES) and before["accounts"] and before["hits"]
    result = backup(populated, tmp_path / "backups", archive=True)
    assert result.path.name.endswith(".tar.gz") and result.path.parent == tmp_path / "backups"
    names = set(result.manifest["files"])
    assert DATABASE in names and "chroma/chroma.sqlite3" in names
    assert any(n.startswith("blobs/") for n in names) and any(n.startswith("playbook_search/") for n in names)

    fresh = Settings(data_dir=tmp_path / "restored" / "data")
    report = restore(fresh, result.path)
    assert report["blob_paths_moved"] == len(NOTES)
    assert _state(fresh) == before
    # the uploaded files are found where the restored rows say they are
    for (blob_path,) in _rows(fresh, "SELECT blob_path FROM documents"):
        assert Path(blob_path).is_file() and Path(blob_path).is_relative_to(fresh.data_dir)


def test_a_backup_taken_while_another_connection_writes_is_consistent(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    engine = open_engine(settings.db_url)
    add_user(engine, "first", role="admin", password="a-long-password-1")
    stop = threading.Event()
    written = []

    def writer() -> None:  # the running server: commits all the time, in WAL mode
        conn = sqlite3.connect(settings.sqlite_path, timeout=30)
        conn.execute("CREATE TABLE IF NOT EXISTS churn (n INTEGER, pad TEXT)")
        n = 0
        while not stop.is_set():
            with conn:
                conn.executemany("INSERT INTO churn VALUES (?, ?)", [(n + i, "x" * 500) for i in range(50)])
            n += 50
            written.append(n)
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            threading.Event().wait(0.01)
        folder = backup(settings, tmp_path / "backups").path
    finally:
        stop.set()
        thread.join()
    conn = sqlite3.connect(folder / DATABASE)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = conn.execute("SELECT count(*), max(n) FROM churn").fetchone()
    conn.close()
    assert rows[0] % 50 == 0 and rows[0] == rows[1] + 1  # whole transactions only
    assert not list(folder.glob("*-wal"))
    assert verify(folder)["schema"]["tables"]["users"] == 1


def test_a_damaged_backup_is_refused_and_the_data_dir_left_alone(populated, tmp_path):
    folder = backup(populated, tmp_path / "backups").path
    blob = next((folder / "blobs").iterdir())
    blob.write_bytes(blob.read_bytes() + b"!")
    target = Settings(data_dir=tmp_path / "target")
    with pytest.raises(InputError) as caught:
        restore(target, folder)
    assert caught.value.field == "src" and blob.name in caught.value.message
    assert not target.data_dir.exists()


def test_a_folder_without_a_manifest_or_a_tar_of_something_else_is_refused(tmp_path):
    (tmp_path / "junk").mkdir()
    with pytest.raises(InputError, match=MANIFEST):
        restore(Settings(data_dir=tmp_path / "d"), tmp_path / "junk")
    with tarfile.open(tmp_path / "other.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "junk", arcname="a")
        tar.add(tmp_path / "junk", arcname="b")
    with pytest.raises(InputError) as caught:
        restore(Settings(data_dir=tmp_path / "d"), tmp_path / "other.tar.gz")
    assert caught.value.field == "src"


def test_restore_refuses_a_non_empty_data_dir_unless_forced_and_then_moves_it_aside(tmp_path):
    source = Settings(data_dir=tmp_path / "source")
    add_user(open_engine(source.db_url), "kept", role="admin", password="a-long-password-1")
    folder = backup(source, tmp_path / "backups").path
    target = Settings(data_dir=tmp_path / "target")
    target.data_dir.mkdir()
    (target.data_dir / "something.txt").write_text("old")
    with pytest.raises(Conflict) as caught:
        restore(target, folder)
    assert caught.value.field == "data_dir"
    report = restore(target, folder, force=True)
    aside = Path(report["previous_data_dir"])
    assert (aside / "something.txt").read_text() == "old"
    assert [u.username for u in list_users(open_engine(target.db_url))] == ["kept"]


def test_a_backup_inside_the_data_dir_is_refused(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    open_engine(settings.db_url)
    with pytest.raises(InputError) as caught:
        backup(settings, settings.data_dir / "backups")
    assert caught.value.field == "dest"


def test_on_postgresql_backup_gives_the_pg_dump_advice_instead_of_a_partial_copy(pg_settings, tmp_path):
    with pytest.raises(InputError, match="pg_dump") as refused:
        backup(pg_settings, tmp_path / "backups")
    assert refused.value.field == "database_url"
    assert not (tmp_path / "backups").exists()
