"""Several processes opening one Chroma store for the first time (a web process and its workers
starting together). The embedded store makes its tables on that first open, and a server database is
created by the first deployment process that uses it; two at once used to fail one of them ("table
collections already exists", "database is locked", "Database … already exists")."""
from __future__ import annotations

import multiprocessing

import pytest

from jinnang.core.settings import Settings
from tests_support_servers import on_chroma_server

PROCESSES = 4
STORES = 8  # each fresh store is one race; without the turns about one in four failed here


def _open_each(stores: list[Settings], barrier, answers) -> None:
    from jinnang.ingest import vectors

    for settings in stores:
        barrier.wait(timeout=120)
        try:
            vectors.open_collection(settings, "chunks").count()
            answers.put("ok")
        except Exception as error:  # the test reports what any process met
            answers.put(f"{type(error).__name__}: {error}"[:200])


def _race(stores: list[Settings]) -> list[str]:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each, as separate commands are
    barrier, answers = context.Barrier(PROCESSES), context.Queue()
    processes = [context.Process(target=_open_each, args=(stores, barrier, answers)) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    got = [answers.get(timeout=300) for _ in range(PROCESSES * len(stores))]
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    return [answer for answer in got if answer != "ok"]


@pytest.mark.slow
def test_processes_opening_fresh_embedded_stores_at_once_all_succeed(tmp_path):
    assert _race([Settings(data_dir=tmp_path / f"data{i}") for i in range(STORES)]) == []


@pytest.mark.slow
def test_processes_opening_a_fresh_database_on_the_chroma_server_at_once_all_succeed(tmp_path):
    stores = [on_chroma_server(Settings(data_dir=tmp_path / "data")) for _ in range(STORES)]
    assert len({store.chroma_database for store in stores}) == STORES  # a fresh database each
    assert _race(stores) == []
