"""`jinnang bench load` counts what it sees: every answer once, 5xx apart, every upload against the database.

Its speed figures are the benchmark's business; these check its arithmetic and a short real run."""
from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

from jinnang.eval.bench_load import FUZZ_KINDS, Tally, bench_load, fuzz_file, percentile, tracebacks


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0


def test_a_tally_counts_answers_once_and_keeps_5xx_and_timeouts_apart():
    tally = Tally()
    for route, status, seconds in [("search", "200", 0.1), ("search", "200", 0.3), ("search", "503", 2.0),
                                   ("upload", "202", 0.2), ("upload", "500", 0.5), ("upload", "timeout", 120.0),
                                   ("review", "403", 0.05)]:
        tally.record(route, status, seconds)
    summary = tally.summary()
    assert summary["requests"] == 6  # the timeout got no answer
    assert summary["timeouts_or_transport_errors"] == 1
    assert summary["errors_by_status"] == {"403": 1, "500": 1, "503": 1, "timeout": 1}
    assert summary["server_errors_5xx"] == 2
    assert summary["server_errors_by_route"] == {"search 503": 1, "upload 500": 1}
    assert summary["routes"]["search"]["p50_ms"] == 300.0 and summary["routes"]["search"]["max_ms"] == 2000.0
    assert summary["routes"]["upload"]["statuses"] == {"202": 1, "500": 1, "timeout": 1}


LOG = """INFO:     127.0.0.1:1 - "GET /v1/review/records HTTP/1.1" 500 Internal Server Error
ERROR:    Exception in ASGI application
Traceback (most recent call last):
  File "/x/src/jinnang/coaching/store.py", line 88, in rebuild
    raise KeyError("chroma")
KeyError: 'chroma'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/x/src/jinnang/api/routes/review.py", line 57, in list_records
    return find()
sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached
WARNING  ingest job job-1: transient failure, retrying in 0.5 s
Traceback (most recent call last):
  File "/x/src/jinnang/ingest/pipeline.py", line 204, in run_job
sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached
"""


def test_tracebacks_are_grouped_by_their_last_line_a_chain_counted_once():
    found = tracebacks(LOG)
    assert found["count"] == 3 - 1 + 1  # the KeyError's block ends in "During handling": counted by the chain's end
    assert found["by_last_line"] == {"sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached": 2,
                                     "KeyError: 'chroma'": 1}
    assert found["examples"][0]["our_frames"] == ["jinnang/api/routes/review.py:57 list_records"]
    assert found["retry_warnings"] == 1 and found["http_500_lines"] == 1


def test_fuzzed_files_take_turns_and_no_two_are_the_same():
    rng = random.Random(1)
    files = [fuzz_file(n, rng, "abc", bomb=b"PK-bomb\0\0") for n in range(3 * len(FUZZ_KINDS))]
    assert [kind for kind, _n, _d in files[:len(FUZZ_KINDS)]] == list(FUZZ_KINDS)
    non_empty = [data for kind, _n, data in files if kind != "empty"]
    assert len(set(non_empty)) == len(non_empty) and all(non_empty)
    assert len({name for _k, name, _d in files}) == len(files)
    huge = next(data for kind, _n, data in files if kind == "huge_png_header")
    assert struct.unpack(">II", huge[16:24])[0] >= 65_000  # IHDR width, as a decoder would read it


@pytest.mark.slow
def test_a_short_run_against_a_real_server_counts_every_upload_against_the_database(tmp_path: Path):
    empty = tmp_path / "data"
    empty.mkdir()  # no demo: the counting is what is checked, so 403/404 on absent accounts are fine
    result = bench_load(clients=4, seconds=3, grace=90, timeout=60, from_data=empty)
    routes = result["routes"]
    assert result["requests"] == sum(r["requests"] for r in routes.values()) > 0
    answered = sum(n for r in routes.values() for s, n in r["statuses"].items() if s.isdigit())
    assert answered == result["requests"]
    upload_statuses = routes.get("upload", {}).get("statuses", {})
    assert result["uploads_sent"] == sum(upload_statuses.values()) > 0
    assert result["uploads_accepted"] == upload_statuses.get("202", 0)
    assert result["jobs"]["jobs"] == result["uploads_accepted"] == sum(result["jobs"]["by_status"].values())
    stored = result["stored"]
    assert stored["rows"] == result["uploads_accepted"] + stored["stored_not_accepted"]
    assert stored["accepted_not_stored"] == 0 and stored["stored_twice"] == 0
    assert result["rss_before"]["rss_mb"] > 0 and result["rss_after"]["peak_mb"] >= result["rss_after"]["rss_mb"]
    assert Path(result["server_log"]).stat().st_size > 0


def test_the_memory_bench_s_uploads_keep_the_fuzz_turns_and_add_real_photos_and_pdfs():
    import os

    from jinnang.eval.bench_memory import memory, upload_files
    from jinnang.ingest.sniff import check_image_size, check_pdf, sniff

    files = upload_files(40, "abc", seed=1, door_share=0.1)
    kinds = [kind for kind, _n, _d in files]
    assert kinds.count("photo") == 2 and kinds.count("pdf") == 2
    assert [k for k in kinds if k not in ("photo", "pdf")][:len(FUZZ_KINDS)] == list(FUZZ_KINDS)
    assert len({data for kind, _n, data in files if kind != "empty"}) == len(files) - kinds.count("empty")
    for kind, _name, data in files:
        if kind == "photo":
            assert sniff(data).kind == "image"
            check_image_size(data, max_pixels=60_000_000)  # a whole photo: it must pass the door
        elif kind == "pdf":
            assert sniff(data).kind == "pdf"
            check_pdf(data)
    mine = memory(os.getpid())
    assert mine["rss_mb"] > 0 and mine["anon_mb"] > 0 and "_imaging" in mine["libraries"]


@pytest.mark.slow
def test_a_short_memory_run_reads_the_server_idle_after_uploads_and_after_load(tmp_path: Path):
    from jinnang.eval.bench_memory import bench_memory

    empty = tmp_path / "data"
    empty.mkdir()
    result = bench_memory(uploads=30, clients=4, seconds=3, from_data=empty, settle=0.5)
    assert result["mode"] == "registrations-only"
    assert result["uploads"]["sent"] == 30 and result["uploads"]["server_errors_5xx"] == 0
    assert result["uploads"]["by_kind"]["photo"] == {"202": 2} and result["uploads"]["by_kind"]["pdf"] == {"202": 1}
    for phase in ("idle", "after_uploads", "after_load"):
        assert result[phase]["peak_mb"] >= result[phase]["rss_mb"] > 0
    assert result["load"]["requests"] > 0 and result["load"]["server_errors_5xx"] == 0
