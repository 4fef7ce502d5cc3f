"""Every configuration file a sales-operations person edits is held by one ConfigFile and checked in one pass."""
import subprocess
import sys
from pathlib import Path

from jinnang.core.config import ConfigFile
from jinnang.service.configuration import check_configuration, config_files

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "jinnang"


def shipped_files() -> set[Path]:
    # journey variants are alternatives chosen with --rules, checked by `jinnang rules-check`;
    # node_modules holds the front-end libraries' own files, not ours
    return {p.resolve() for p in PACKAGE.rglob("*.yaml") if "variants" not in p.parts and "node_modules" not in p.parts}


def test_every_shipped_yaml_file_is_held_by_a_config_file():
    held = {f.path.resolve() for f in config_files()}  # other tests' temporary files may be among them
    assert shipped_files() - held == set()


def test_the_shipped_configuration_is_valid():
    # other tests' temporary copies may still be held in this process; the shipped files are what count
    problems = [str(error) for path, error in check_configuration()
                if error is not None and path.resolve() in shipped_files()]
    assert problems == []


def test_a_broken_file_is_reported_with_file_line_and_field(tmp_path):
    source = next(f for f in config_files() if f.path.name == "scores.yaml")
    copy = tmp_path / "scores.yaml"
    copy.write_text(source.path.read_text(encoding="utf-8") + "\nnot_a_field: 1\n", encoding="utf-8")
    error = ConfigFile(copy, source.model).check()
    assert error is not None and error.file == str(copy) and error.field == "not_a_field" and error.line


def test_config_check_command_lists_every_file_and_exits_0():
    done = subprocess.run([sys.executable, "-c", "from jinnang.cli import main; main()", "config", "check"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok ") == len(shipped_files()) and "journey.yaml" in done.stdout


def test_a_variant_journeys_reading_of_the_signals_file_does_not_stand_in_for_the_services(tmp_path):
    from jinnang.nlp.journey import SIGNALS_PATH, journey_reader

    variant = journey_reader(("first_contact", "needs_assessment", "contract_signed"))  # kept alive by its cache
    assert variant.path == SIGNALS_PATH and not variant.primary
    assert dict(check_configuration())[SIGNALS_PATH] is None
