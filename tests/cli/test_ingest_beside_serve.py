"""`jinnang ingest` on a data dir whose `jinnang serve --workers 0` has the vector store open stops
before reading anything: exit 2, one error line naming the field, nothing stored."""
from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.ingest.store import DocumentRow, ingest_engine
from jinnang.service.pipeline import ensure_all_tables

HOLD = ("import sys, time; from pathlib import Path; from jinnang.core.settings import Settings; "
        "from jinnang.ingest import chroma_claim; "
        "chroma_claim.claim(Settings(data_dir=Path(sys.argv[1])), server=None); print('claimed', flush=True); "
        "time.sleep(600)")


def test_ingest_beside_a_server_holding_the_files_exits_2_and_stores_nothing(tmp_path):
    data = tmp_path / "data"
    env = {**os.environ, "JINNANG_DATA_DIR": str(data), "JINNANG_CONFIG": str(tmp_path / "none.toml"),
           "HF_HUB_OFFLINE": "1"}
    env.pop("JINNANG_DATABASE_URL", None)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(data)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
        (tmp_path / "n.txt").write_text("今天拜访人民医院骨科王主任，王主任说价格偏高。", encoding="utf-8")
        run = subprocess.run([sys.executable, "-c", "from jinnang.cli import main; main()", "ingest",
                              str(tmp_path / "n.txt")], env=env, capture_output=True, text=True, timeout=300)
    finally:
        holder.kill()
        holder.wait()
    assert run.returncode == 2, run.stderr[-2000:]
    assert run.stderr.strip().splitlines()[-1].startswith("error: data_dir: `jinnang serve --workers 0`")
    assert "Traceback" not in run.stderr
    settings = Settings(data_dir=data)
    ensure_all_tables(settings)
    with Session(ingest_engine(settings)) as session:
        assert session.scalar(select(func.count()).select_from(DocumentRow)) == 0
