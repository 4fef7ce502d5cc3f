"""Commands that write the vector store on a data dir whose store another command has open stop before
any work: exit 2, one error line naming the field and that command, nothing stored. Once a command
ends, the store is free again."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.ingest import chroma_claim
from jinnang.ingest.store import DocumentRow, ingest_engine
from jinnang.service.pipeline import ensure_all_tables

HOLD = ("import sys, time; from pathlib import Path; from jinnang.core.settings import Settings; "
        "from jinnang.ingest import chroma_claim; "
        "chroma_claim.claim(Settings(data_dir=Path(sys.argv[1])), server=None, command=sys.argv[2]); "
        "print('claimed', flush=True); "
        "time.sleep(600)")


def _env(tmp_path):
    env = {**os.environ, "JINNANG_DATA_DIR": str(tmp_path / "data"), "JINNANG_CONFIG": str(tmp_path / "none.toml"),
           "HF_HUB_OFFLINE": "1"}
    env.pop("JINNANG_DATABASE_URL", None)
    return env


def _hold(tmp_path, command: str) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "data"), command], stdout=subprocess.PIPE,
                              text=True, env=_env(tmp_path))
    assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
    return holder


def _jinnang(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from jinnang.cli import main; main()", *args], env=_env(tmp_path),
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("owner", ["jinnang serve --workers 0", "jinnang ingest"])
def test_ingest_beside_a_command_holding_the_files_exits_2_and_stores_nothing(tmp_path, owner):
    holder = _hold(tmp_path, owner)
    try:
        (tmp_path / "n.txt").write_text("今天拜访人民医院骨科王主任，王主任说价格偏高。", encoding="utf-8")
        run = _jinnang(tmp_path, "ingest", str(tmp_path / "n.txt"))
    finally:
        holder.kill()
        holder.wait()
    assert run.returncode == 2, run.stderr[-2000:]
    assert run.stderr.strip().splitlines()[-1].startswith(f"error: data_dir: `{owner}` (pid {holder.pid})")
    assert "Traceback" not in run.stderr
    settings = Settings(data_dir=tmp_path / "data")
    ensure_all_tables(settings)
    with Session(ingest_engine(settings)) as session:
        assert session.scalar(select(func.count()).select_from(DocumentRow)) == 0


@pytest.mark.slow
def test_serve_is_refused_while_an_ingest_has_the_store_and_free_once_it_ends(tmp_path):
    holder = _hold(tmp_path, "jinnang ingest")
    try:
        run = _jinnang(tmp_path, "serve", "--workers", "0", "--port", "1")
    finally:
        holder.kill()
        holder.wait()
    assert run.returncode == 2, run.stderr[-2000:]
    assert f"error: data_dir: `jinnang ingest` (pid {holder.pid})" in run.stderr
    (tmp_path / "n.txt").write_text("今天拜访人民医院骨科王主任，王主任说价格偏高。", encoding="utf-8")
    assert _jinnang(tmp_path, "ingest", str(tmp_path / "n.txt")).returncode == 0
    assert chroma_claim.serving(Settings(data_dir=tmp_path / "data")) is None, "the ingest let go of the store"


def test_a_command_owns_the_store_for_its_block_only(tmp_path):
    from jinnang.cli.ingest_cmds import owned_vector_store

    settings = Settings(data_dir=tmp_path / "data")
    claim = ("import sys; from pathlib import Path; from jinnang.core.settings import Settings; "
             "from jinnang.ingest import chroma_claim; "
             "chroma_claim.claim(Settings(data_dir=Path(sys.argv[1])), server=None, command='other')")

    def other_claims() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", claim, str(settings.data_dir)], capture_output=True, text=True,
                              timeout=120, env=_env(tmp_path))

    with owned_vector_store(settings, "jinnang ingest"):
        inside = other_claims()
    assert inside.returncode != 0 and "`jinnang ingest` (pid" in inside.stderr
    assert other_claims().returncode == 0, "released when the block ends"


@pytest.mark.slow
def test_status_still_answers_and_a_deletion_is_refused_cleanly_while_an_ingest_has_the_store(tmp_path):
    (tmp_path / "n.txt").write_text("今天拜访人民医院骨科王主任，王主任说价格偏高。", encoding="utf-8")
    first = _jinnang(tmp_path, "ingest", str(tmp_path / "n.txt"), "--json")
    assert first.returncode == 0, first.stderr[-2000:]
    (row,) = [json.loads(line) for line in first.stdout.splitlines() if line.startswith("{")]
    holder = _hold(tmp_path, "jinnang ingest")
    try:
        status = _jinnang(tmp_path, "status", "--json")
        deletion = _jinnang(tmp_path, "documents", "delete", row["document_id"])
    finally:
        holder.kill()
        holder.wait()
    assert status.returncode == 0, status.stderr[-2000:]
    assert json.loads(status.stdout)["vectors"].startswith("not counted: `jinnang ingest`")
    assert deletion.returncode == 2 and "Traceback" not in deletion.stderr, deletion.stderr[-2000:]
    assert deletion.stderr.strip().splitlines()[-1].startswith("error: data_dir: `jinnang ingest`")
    settings = Settings(data_dir=tmp_path / "data")
    with Session(ingest_engine(settings)) as session:
        assert session.scalar(select(func.count()).select_from(DocumentRow)) == 1, "nothing was deleted"
