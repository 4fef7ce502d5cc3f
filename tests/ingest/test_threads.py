"""Each process uses the BLAS/ONNX threads it is given: one by default, JINNANG_THREADS to change it."""
import json
import os
import subprocess
import sys

import pytest

from jinnang.core.errors import InputError
from jinnang.ingest.embed import UseEmbedder
from jinnang.ingest.threads import THREADS_VARIABLE, configured_threads

PROBE = ("import json; from threadpoolctl import threadpool_info; from jinnang.ingest.embed import get_embedder; "
         "e = get_embedder(); e.embed(['王主任说价格偏高']); "
         "print(json.dumps([e._threads, sorted({i['num_threads'] for i in threadpool_info() "
         "if i['user_api'] == 'blas'})]))")


def _probe(threads: str | None) -> list:
    env = {k: v for k, v in os.environ.items() if k not in (THREADS_VARIABLE, "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    if threads is not None:
        env[THREADS_VARIABLE] = threads
    run = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_one_thread_a_process_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    assert configured_threads() == 1
    assert UseEmbedder()._threads == 1
    monkeypatch.setenv(THREADS_VARIABLE, "2")
    assert configured_threads() == 2 and UseEmbedder()._threads == 2


@pytest.mark.parametrize("bad", ["0", "two", "-1", "1.5"])
def test_a_bad_thread_count_is_refused_with_its_variable(monkeypatch, bad):
    monkeypatch.setenv(THREADS_VARIABLE, bad)
    with pytest.raises(InputError) as err:
        configured_threads()
    assert err.value.field == THREADS_VARIABLE


def test_the_blas_pool_of_a_process_that_embedded_is_the_configured_size():
    assert _probe(None) == [1, [1]]
    assert _probe("2") == [2, [2]]
