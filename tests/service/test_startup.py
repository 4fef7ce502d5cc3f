"""A server fails at start, naming the problem, instead of answering 500 on its first request."""
import os
import subprocess
import sys

from jinnang.rules import config as rules_config
from jinnang.service.startup import startup_problems


def test_the_shipped_configuration_and_default_model_start(settings):
    # other tests' temporary copies may still be held in this process; the shipped files are what count
    package = str(rules_config.CONFIG_DIR.parents[1])
    assert [p for p in startup_problems(settings) if p.startswith(package) or "embedding_model" in p] == []


def test_a_broken_rule_file_is_named_with_its_line_and_field(settings, tmp_path, monkeypatch):
    journey = rules_config.CONFIG_DIR / "journey.yaml"
    broken = tmp_path / "journey.yaml"
    broken.write_text(journey.read_text(encoding="utf-8").replace("      limit: 14d", "      limit: fourteen days", 1),
                      encoding="utf-8")
    # what the running service holds is pointed at the broken copy, as if the file had been edited
    monkeypatch.setattr(rules_config._shipped.files["journey"], "path", broken)
    # (other tests' temporary copies may still be held in this process: only this file's line counts)
    problems = [p for p in startup_problems(settings) if p.startswith(str(broken))]
    assert len(problems) == 1 and problems[0].startswith(f"{broken}, line 16, field nodes[0].stall.limit")


def test_serve_exits_2_on_an_embedding_model_that_is_not_a_local_directory(tmp_path):
    env = {**os.environ, "JINNANG_DATA_DIR": str(tmp_path / "data"),
           "JINNANG_EMBEDDING_MODEL": "BAAI/bge-small-zh", "JINNANG_API_PORT": "8799"}
    done = subprocess.run([sys.executable, "-c", "from jinnang.cli import main; main()", "serve"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2
    assert "embedding_model" in done.stderr and "not a local directory" in done.stderr
