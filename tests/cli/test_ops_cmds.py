"""`jinnang backup DEST` and `jinnang restore SRC` run as commands on a real data dir."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from jinnang.cli import ops_cmds  # noqa: F401  (registers the commands)
from jinnang.cli.app import app
from jinnang.core.db import open_engine
from jinnang.core.settings import get_settings
from jinnang.core.users import add_user, list_users

runner = CliRunner()


def _usernames() -> list[str]:
    return [u.username for u in list_users(open_engine(get_settings().db_url))]


def test_backup_then_restore_into_an_empty_data_dir(data_dir, tmp_path, monkeypatch):
    add_user(open_engine(get_settings().db_url), "ops-admin", role="admin", password="a-long-password-1")
    done = runner.invoke(app, ["backup", str(tmp_path / "backups"), "--tar", "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert summary["path"].endswith(".tar.gz") and summary["files"] >= 1 and summary["vectors"] == "embedded"

    monkeypatch.setenv("JINNANG_DATA_DIR", str(tmp_path / "elsewhere"))
    get_settings.cache_clear()
    back = runner.invoke(app, ["restore", summary["path"]])
    assert back.exit_code == 0, back.output
    assert "restored" in back.stdout and _usernames() == ["ops-admin"]


def test_restore_over_a_data_dir_in_use_needs_force(data_dir, tmp_path):
    add_user(open_engine(get_settings().db_url), "first", role="admin", password="a-long-password-1")
    folder = json.loads(runner.invoke(app, ["backup", str(tmp_path / "b"), "--json"]).stdout)["path"]
    refused = runner.invoke(app, ["restore", folder])
    assert refused.exit_code == 2 and "not empty" in refused.stderr and "--force" in refused.stderr
    forced = runner.invoke(app, ["restore", folder, "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["previous_data_dir"].startswith(str(data_dir) + ".before-restore-")


def test_restore_of_something_that_is_not_a_backup_exits_2_naming_it(data_dir, tmp_path):
    (tmp_path / "notes.tar.gz").write_bytes(b"not an archive")
    result = runner.invoke(app, ["restore", str(tmp_path / "notes.tar.gz")])
    assert result.exit_code == 2 and "notes.tar.gz" in result.stderr
    missing = runner.invoke(app, ["restore", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no backup" in missing.stderr


def test_backup_of_a_data_dir_with_no_database_exits_2(data_dir, tmp_path):
    result = runner.invoke(app, ["backup", str(tmp_path / "b")])
    assert result.exit_code == 2 and "nothing to back up" in result.stderr
