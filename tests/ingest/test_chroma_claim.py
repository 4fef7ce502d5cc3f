"""The data dir's embedded Chroma store belongs to the one process that claimed it (`jinnang serve`,
`jinnang ingest`, `jinnang worker`): another process is sent to the owner's local Chroma server
(tests/cli/test_serve_workers.py) or, when the owner has the files open itself, refused with what to
do. Never two writers on one store."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from jinnang.core.settings import Settings
from jinnang.ingest import chroma_claim
from jinnang.ingest.vectors import open_chroma

HOLD = ("import sys, time; from pathlib import Path; from jinnang.core.settings import Settings; "
        "from jinnang.ingest import chroma_claim; "
        "chroma_claim.claim(Settings(data_dir=Path(sys.argv[1])), server=None, command='jinnang serve --workers 0'); "
        "print('claimed', flush=True); "
        "time.sleep(600)")


@pytest.fixture
def held_elsewhere(settings: Settings):
    """Another process serving the store with the files open (`jinnang serve --workers 0`)."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(settings.data_dir)], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert process.stdout is not None and process.stdout.readline().strip() == "claimed"
    yield process
    process.kill()
    process.wait()


def test_a_store_another_process_serves_itself_is_refused_naming_it(settings, held_elsewhere):
    with pytest.raises(chroma_claim.StoreInUse) as refused:
        open_chroma(settings)
    assert refused.value.field == "data_dir"
    assert f"pid {held_elsewhere.pid}" in refused.value.message and "--workers 0" in refused.value.message
    with pytest.raises(chroma_claim.StoreInUse, match="`jinnang serve --workers 0` \\(pid"):
        chroma_claim.claim(settings, server=None)  # nor can a second server take it


def test_the_claim_ends_with_its_process_even_when_killed(settings, held_elsewhere):
    held_elsewhere.send_signal(signal.SIGKILL)
    held_elsewhere.wait()
    assert chroma_claim.serving(settings) is None, "the file a dead server left is no claim"
    assert open_chroma(settings).heartbeat() > 0  # the files, opened here


def test_the_serving_process_itself_uses_its_files(settings):
    chroma_claim.claim(settings, server=None)
    try:
        assert chroma_claim.serving(settings) is None
        assert open_chroma(settings).heartbeat() > 0
    finally:
        chroma_claim.release(settings)
