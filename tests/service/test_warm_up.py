"""`warm_up` loads the models and the playbook before the first search, so the first answers fast."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from jinnang.core.settings import Settings
from jinnang.service.startup import warm_up

FIRST_SEARCH = """
import sys, time
from pathlib import Path
from jinnang.core.settings import Settings
from jinnang.core.access import Viewer
settings = Settings(data_dir=Path(sys.argv[1]))
if sys.argv[2] == "warm":
    from jinnang.service.startup import warm_up
    warm_up(settings)
from jinnang.coaching.search import search_hits
started = time.perf_counter()
search_hits(settings, "竞品已经进院了怎么应对", k=10, viewer=Viewer(role="rep", subject="rep-07"))
print(time.perf_counter() - started)
"""


def test_warm_up_on_an_empty_data_dir_builds_the_playbook_and_times_each_step(tmp_path: Path):
    timings = warm_up(Settings(data_dir=tmp_path / "data"))
    assert set(timings) == {"models", "playbook", "search"}
    assert (tmp_path / "data" / "playbook_search" / "playbook_state.json").is_file()


def test_after_warm_up_the_first_search_is_fast_in_a_new_process(tmp_path: Path):
    data = tmp_path / "data"
    warm_up(Settings(data_dir=data))  # the store exists (built-in talk tracks)

    def first_search(mode: str) -> float:
        out = subprocess.run([sys.executable, "-c", FIRST_SEARCH, str(data), mode], capture_output=True, text=True,
                             timeout=300, env={"OMP_THREAD_LIMIT": "1", "HF_HUB_OFFLINE": "1",
                                               **{k: v for k, v in __import__("os").environ.items()}})
        assert out.returncode == 0, out.stderr[-2000:]
        return float(out.stdout.strip().splitlines()[-1])

    cold, warm = first_search("cold"), first_search("warm")
    assert warm < 0.5 and warm < cold / 3, (cold, warm)
