"""One way to keep a configuration file loaded: validated, followed when edited, never broken by a bad edit."""
import os

import pytest
from pydantic import BaseModel, ConfigDict

from jinnang.core.config import FILES, ConfigError, ConfigFile, load_yaml_model


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stall_hours: int
    names: list[str] = []


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    # editors save within the same second: move the mtime on so the change is seen
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_mistake_names_file_line_and_field(tmp_path):
    path = tmp_path / "limits.yaml"
    _write(path, "names: [a]\nstall_hours: many\n")
    with pytest.raises(ConfigError) as err:
        load_yaml_model(path, Limits)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 2, "stall_hours")
    assert str(err.value).startswith(f"{path}, line 2, field stall_hours:")


def test_an_edit_is_followed_and_a_broken_edit_keeps_the_last_good_version(tmp_path):
    path = tmp_path / "limits.yaml"
    _write(path, "stall_hours: 72\n")
    limits = ConfigFile(path, Limits)
    assert limits().stall_hours == 72
    _write(path, "stall_hours: 48\n")
    assert limits().stall_hours == 48 and limits.last_error is None
    _write(path, "stall_hours: [\n")
    assert limits().stall_hours == 48
    assert limits.last_error is not None and limits.last_error.field == "(yaml)"
    assert limits.check() is not None  # what is on disk now is still reported as broken


def test_a_file_broken_from_the_start_raises(tmp_path):
    path = tmp_path / "limits.yaml"
    _write(path, "stall_hours: 72\nunknown: 1\n")
    with pytest.raises(ConfigError, match="unknown"):
        ConfigFile(path, Limits)()


def test_read_once_files_ignore_later_edits(tmp_path):
    path = tmp_path / "limits.yaml"
    _write(path, "stall_hours: 72\n")
    limits = ConfigFile(path, Limits, reload=False)
    assert limits().stall_hours == 72
    _write(path, "stall_hours: 1\n")
    assert limits().stall_hours == 72


def test_build_turns_the_validated_file_into_what_the_code_uses(tmp_path):
    path = tmp_path / "limits.yaml"
    _write(path, "stall_hours: 72\nnames: [王, 李]\n")
    names = ConfigFile(path, Limits, build=lambda limits: frozenset(limits.names))
    assert names() == frozenset({"王", "李"})
    assert names in FILES


class _Clocks:
    """The loader's two clocks, moved by hand (monotonic for the throttle, wall for a file's age)."""

    def __init__(self, monkeypatch):
        import jinnang.core.config as config

        self.now, self.wall = 1000.0, 2_000_000_000.0
        monkeypatch.setattr(config, "clock", lambda: self.now)
        monkeypatch.setattr(config, "wall_clock", lambda: self.wall)

    def age(self, path, seconds):
        """Make the file look last written `seconds` ago."""
        stamp = int((self.wall - seconds) * 1e9)
        os.utime(path, ns=(stamp, stamp))


def test_a_settled_file_is_looked_at_once_a_second_and_an_edit_is_seen_within_it(tmp_path, monkeypatch):
    clocks = _Clocks(monkeypatch)
    path = tmp_path / "limits.yaml"
    path.write_text("stall_hours: 72\n", encoding="utf-8")
    clocks.age(path, 3600)
    limits = ConfigFile(path, Limits)
    assert limits().stall_hours == 72
    clocks.now += ConfigFile.HOT_SECONDS + 1  # the file has settled since it was loaded
    assert limits().stall_hours == 72  # looked at: unchanged
    path.write_text("stall_hours: 48\n", encoding="utf-8")
    clocks.age(path, 1800)  # an edit whose time says it is old (a copy keeping its time, a coarse clock)
    clocks.now += 0.5
    assert limits().stall_hours == 72  # not looked at again within the second
    clocks.now += ConfigFile.recheck_after
    assert limits().stall_hours == 48


def test_a_file_just_changed_or_written_is_looked_at_on_every_call(tmp_path, monkeypatch):
    clocks = _Clocks(monkeypatch)
    path = tmp_path / "limits.yaml"
    path.write_text("stall_hours: 72\n", encoding="utf-8")
    clocks.age(path, 3600)
    limits = ConfigFile(path, Limits)
    assert limits().stall_hours == 72
    path.write_text("stall_hours: 48\n", encoding="utf-8")
    clocks.age(path, 1800)
    assert limits().stall_hours == 48  # loaded a moment ago: an editor's next save is followed at once
    clocks.now += ConfigFile.HOT_SECONDS + 1
    path.write_text("stall_hours: 24\n", encoding="utf-8")
    clocks.age(path, 2)  # written two seconds ago (by the wall clock)
    assert limits().stall_hours == 24
    path.write_text("stall_hours: 12\n", encoding="utf-8")
    clocks.age(path, 1)
    assert limits().stall_hours == 12  # the previous look saw a fresh file, so this call looked again


def test_recheck_after_zero_looks_at_the_file_on_every_call(tmp_path, monkeypatch):
    clocks = _Clocks(monkeypatch)
    monkeypatch.setattr(ConfigFile, "recheck_after", 0.0)
    path = tmp_path / "limits.yaml"
    path.write_text("stall_hours: 72\n", encoding="utf-8")
    clocks.age(path, 3600)
    limits = ConfigFile(path, Limits)
    assert limits().stall_hours == 72
    clocks.now += ConfigFile.HOT_SECONDS + 1
    assert limits().stall_hours == 72
    path.write_text("stall_hours: 48\n", encoding="utf-8")
    clocks.age(path, 1800)
    assert limits().stall_hours == 48
