"""`jinnang alerts check|deliver|status` and `jinnang jobs list|run`: the same work the service's scheduler
does, from the shell, with exit codes a timer or an operator can act on."""
from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from typer.testing import CliRunner

from jinnang.cli import alerts_cmds  # noqa: F401  (registers the commands)
from jinnang.cli.app import app
from jinnang.core.db import open_engine
from jinnang.core.settings import get_settings
from jinnang.rules.accounts import upsert_account
from jinnang.rules.models import AccountSnapshot
from jinnang.service.alerts import unread_count
from jinnang.service.demo import ensure_demo_users


def _stalled_account() -> None:
    settings = get_settings()
    ensure_demo_users(settings)
    entered = (dt.datetime.now() - dt.timedelta(days=10)).replace(microsecond=0).isoformat()
    upsert_account(open_engine(settings.db_url), AccountSnapshot.model_validate({
        "account_id": "acc-1", "hospital": "杭州市第一人民医院", "rep_id": "rep-07", "journey_node": "demo_scheduled",
        "node_entered_at": entered, "last_updated_at": entered}))


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_check_queues_each_stall_once_and_status_counts_it(data_dir):
    _stalled_account()
    first = CliRunner().invoke(app, ["alerts", "check", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"stalls": 1, "triggers": 0, "messages": 2, "queued": 2}
    again = CliRunner().invoke(app, ["alerts", "check", "--json"])
    assert json.loads(again.stdout)["queued"] == 0
    assert unread_count(open_engine(get_settings().db_url), "demo-manager") == 1
    status = CliRunner().invoke(app, ["alerts", "status", "--json"])
    assert json.loads(status.stdout) == {"sent": 2}
    bad = CliRunner().invoke(app, ["alerts", "check", "--now", "yesterday"])
    assert bad.exit_code == 2 and "now" in bad.stderr


def test_deliver_exits_1_while_a_robot_refuses_and_0_once_it_took_the_message(data_dir, tmp_path, monkeypatch):
    posts: list[dict] = []

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            posts.append(body)
            reply = b'{"errcode": 0, "errmsg": "ok"}' if len(posts) > 1 else b'{"errcode": 93000, "errmsg": "busy"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        channels = tmp_path / "alerts.yaml"
        channels.write_text(f"channels:\n  - {{id: robot, kind: wecom, url: 'http://127.0.0.1:{server.server_address[1]}/'}}\n"
                            "delivery: {first_retry: 1s}\n", encoding="utf-8")
        monkeypatch.setenv("JINNANG_ALERTS_FILE", str(channels))
        get_settings.cache_clear()
        _stalled_account()
        assert CliRunner().invoke(app, ["alerts", "check"]).exit_code == 0
        refused = CliRunner().invoke(app, ["alerts", "deliver", "--json"])
        assert refused.exit_code == 1 and json.loads(refused.stdout)["retrying"] == 1
        assert "93000" in json.loads(refused.stdout)["errors"][0]
        threading.Event().wait(1.2)  # the back-off: 1 s
        sent = CliRunner().invoke(app, ["alerts", "deliver", "--json"])
        assert sent.exit_code == 0 and json.loads(sent.stdout)["sent"] == 1
        assert CliRunner().invoke(app, ["alerts", "deliver"]).exit_code == 0
    finally:
        server.shutdown()
        server.server_close()
    assert len(posts) == 2 and posts[0] == posts[1] and posts[1]["msgtype"] == "markdown"


def test_jobs_run_and_list(data_dir):
    _stalled_account()
    listed = CliRunner().invoke(app, ["jobs", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [j["name"] for j in _lines(listed.stdout)] == ["stall_check", "deliver", "playbook_refresh", "monthly_phi",
                                                           "learn"]
    assert all(j["last"] is None for j in _lines(listed.stdout))
    ran = CliRunner().invoke(app, ["jobs", "run", "stall_check", "--json"])
    assert ran.exit_code == 0 and json.loads(ran.stdout)["queued"] == 2
    text = CliRunner().invoke(app, ["jobs", "list"]).stdout
    assert "stall_check" in text and "ok" in text and "daily 02:00" in text
    unknown = CliRunner().invoke(app, ["jobs", "run", "backup"])
    assert unknown.exit_code == 2 and "no job 'backup'" in unknown.stderr
