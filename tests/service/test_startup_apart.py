"""The start-up check runs in a child process, so a web process keeps none of what checking loads; warm-up
loads the job models only when asked."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jinnang
from jinnang.core.settings import Settings
from jinnang.service.configuration import config_files
from jinnang.service.startup import config_files_apart, startup_problems_apart

ENV = {**os.environ, "OMP_THREAD_LIMIT": "1", "HF_HUB_OFFLINE": "1"}
HEAVY = ("spacy", "cv2", "sklearn", "rapidocr_onnxruntime")

CHECK_APART = """
import json, sys
from pathlib import Path
import jinnang
from jinnang.core.settings import Settings
from jinnang.service.startup import config_files_apart, startup_problems_apart
problems = startup_problems_apart(Settings(data_dir=Path(sys.argv[1])))
files = config_files_apart()
print(json.dumps({"problems": problems, "files": len(files), "errors": [f.path.name for f in files if f.check()],
                  "loaded": [m for m in sys.argv[2:] if m in sys.modules]}))
"""


def _python(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600, env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _shipped() -> set[Path]:
    """The package's own configuration files: earlier tests in this process register files of their own."""
    package = Path(jinnang.__file__).resolve().parent
    return {f.path.resolve() for f in config_files() if f.path.resolve().is_relative_to(package)}


def test_the_check_apart_finds_the_shipped_files_valid_and_leaves_the_checking_libraries_out(tmp_path: Path):
    answer = _python(CHECK_APART, str(tmp_path / "data"), *HEAVY)
    assert answer["problems"] == [] and answer["errors"] == []
    assert answer["files"] == len(_shipped()) > 10
    assert answer["loaded"] == []  # checked in-process, every one of them would be loaded


def test_a_problem_found_apart_is_named_as_in_process(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data", embedding_model="BAAI/bge-small-zh")
    problems = startup_problems_apart(settings)
    assert len(problems) == 1 and "embedding_model" in problems[0] and "not a local directory" in problems[0]


def test_a_file_that_changed_since_the_check_is_checked_again():
    files = config_files_apart()
    assert {f.path.resolve() for f in files} == _shipped()
    changed = files[0]
    real_version = changed.version
    changed.version, changed.error = (0, 0), "stale"  # as if the file had been edited after the check
    assert changed.check() is None  # checked again: the shipped file is valid
    assert changed.version == real_version and changed.error is None


WARM = """
import json, sys
from pathlib import Path
import jinnang
from jinnang.core.settings import Settings
from jinnang.service.startup import warm_up
timings = warm_up(Settings(data_dir=Path(sys.argv[1])), for_jobs=sys.argv[2] == "jobs")
from jinnang.ingest.ocr.engines import _engines
print(json.dumps({"steps": sorted(timings), "ocr_engines": sorted(_engines),
                  "ocr_loaded": "rapidocr_onnxruntime" in sys.modules}))
"""


def test_a_web_warm_up_loads_no_ocr_and_a_worker_s_loads_extraction_and_ocr(tmp_path: Path):
    web = _python(WARM, str(tmp_path / "web"), "web")
    assert web == {"steps": ["models", "playbook", "search"], "ocr_engines": [], "ocr_loaded": False}
    worker = _python(WARM, str(tmp_path / "worker"), "jobs")
    assert worker["steps"] == ["extraction", "models", "ocr", "playbook", "search"]
    assert worker["ocr_engines"] == ["rapidocr"] and worker["ocr_loaded"]


TRIM = """
import json
from jinnang.service.startup import release_free_memory
pieces = [bytearray(64 * 1024) for _ in range(1600)]  # 100 MB under glibc's mmap threshold, on its heap
kept = pieces[1::50]  # a few stay, so the freed ones are holes the heap's top cannot give back by itself
del pieces
print(json.dumps({"trimmed": release_free_memory()}))
"""


def test_free_heap_memory_is_handed_back_on_glibc():
    assert _python(TRIM) == {"trimmed": True}


SHARED = """
import json, re, sys
from pathlib import Path
import numpy as np
import jinnang
from jinnang.core.settings import Settings
from jinnang.service.startup import warm_up
from jinnang.ingest.embed import get_embedder
from jinnang.coaching.vectors import query_embedder
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024
settings = Settings(data_dir=Path(sys.argv[1]))
warm_up(settings)
batch, query = get_embedder(settings.embedding_model), query_embedder(settings.embedding_model)
ready = batch.loaded
before = rss()
vectors = batch.embed(["主任说价格太贵", "竞品已经进院"])
grown = rss() - before
same = bool(np.allclose(vectors, query.embed(["主任说价格太贵", "竞品已经进院"]), atol=1e-5))
print(json.dumps({"ready": ready, "grown_mb": grown, "same": same, "distinct": batch is not query}))
"""


def test_after_warm_up_the_batch_embedder_is_ready_and_shares_the_query_embedder_s_weights(tmp_path: Path):
    _python(SHARED, str(tmp_path / "data"))  # builds the playbook (with the batch embedder)
    answer = _python(SHARED, str(tmp_path / "data"))  # a restart: the playbook is up to date, only queries embed
    assert answer["ready"] is True  # /readyz's models check: it said "not loaded" after the warm start
    assert answer["distinct"] and answer["same"]
    assert answer["grown_mb"] < 40  # a second copy of the weights was about 120 MB
