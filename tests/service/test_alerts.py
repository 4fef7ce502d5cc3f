"""Alerts reach people once: in-app 站内信, 企业微信 and 钉钉 robots (a local HTTP receiver that checks the
format and the 加签 signature) and e-mail (a local aiosmtpd server), with retries and back-off, and
never twice — not after a second scan, a second delivery run or a restart."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jinnang.core.config import ConfigError, load_yaml_model
from jinnang.core.db import open_engine
from jinnang.core.settings import Settings
from jinnang.rules.accounts import move_account, upsert_account
from jinnang.rules.models import AccountSnapshot
from jinnang.service.alerts import check_and_queue, deliver_due, inbox, mark_read, queue_phi, unread_count
from jinnang.service.alerts.config import MessagesFile, channels_file
from jinnang.service.alerts.outbox import OutboxRow
from jinnang.service.demo import ensure_demo_users

NOW = dt.datetime(2026, 1, 10, 9, 0)
SECRET = "SECtest-secret-0123456789"


class Receiver:
    """A robot webhook: records what it accepts; can refuse the first `fail_first` posts; with a secret,
    refuses a post whose timestamp/sign does not match (钉钉's 加签 mode)."""

    def __init__(self, fail_first: int = 0, secret: str | None = None):
        self.accepted: list[dict] = []
        self.requests = 0
        self.fail_first, self.secret = fail_first, secret
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                receiver.requests += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                query = parse_qs(urlsplit(self.path).query)
                if receiver.requests <= receiver.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                reply = {"errcode": 0, "errmsg": "ok"}
                if receiver.secret is not None:
                    timestamp = query.get("timestamp", [""])[0]
                    wanted = base64.b64encode(hmac.new(receiver.secret.encode(), f"{timestamp}\n{receiver.secret}".encode(),
                                                       hashlib.sha256).digest()).decode()
                    if not timestamp or query.get("sign", [""])[0] != wanted:
                        reply = {"errcode": 310000, "errmsg": "sign not match"}
                if reply["errcode"] == 0:
                    receiver.accepted.append({"path": self.path, "body": body})
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for r in made:
        r.close()


def _settings(tmp_path: Path, channels: str | None = None) -> Settings:
    alerts_file = None
    if channels is not None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        alerts_file = tmp_path / "alerts.yaml"
        alerts_file.write_text(channels, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", alerts_file=alerts_file, public_url="https://jinnang.example.cn")
    ensure_demo_users(settings)
    return settings


def _stalled_account(settings: Settings, node: str = "demo_scheduled", account_id: str = "acc-1") -> None:
    upsert_account(open_engine(settings.db_url), AccountSnapshot.model_validate({
        "account_id": account_id, "hospital": "杭州市第一人民医院", "rep_id": "rep-07", "journey_node": node,
        "province": "浙江", "node_entered_at": "2026-01-01T09:00:00", "last_updated_at": "2026-01-01T09:00:00"}))


def _robot(kind: str, url: str, extra: str = "") -> str:
    return (f"channels:\n  - {{id: in_app, kind: in_app}}\n  - {{id: robot, kind: {kind}, url: '{url}'{extra}}}\n"
            "delivery: {max_attempts: 3, first_retry: 60s, max_retry: 1h}\n")


def test_a_stall_reaches_its_rep_and_managers_in_app_once(tmp_path):
    settings = _settings(tmp_path)
    _stalled_account(settings)  # 已预约设备科演示: 72 h limit, notify [rep, manager]
    first = check_and_queue(settings, NOW)
    again = check_and_queue(settings, NOW + dt.timedelta(hours=1))
    assert first["stalls"] == 1 and first["queued"] == 2 and again["queued"] == 0
    engine = open_engine(settings.db_url)
    assert unread_count(engine, "demo-rep") == 1 and unread_count(engine, "demo-manager") == 1
    assert unread_count(engine, "demo-rep2") == 0 and unread_count(engine, "demo-admin") == 0
    [item] = inbox(engine, "demo-manager")
    assert item.title == "停滞提醒：杭州市第一人民医院" and item.account_id == "acc-1"
    for fact in ("已预约设备科演示", "216 小时", "超出 144 小时", "请确认演示时间是否变更",
                 "https://jinnang.example.cn/accounts/acc-1"):
        assert fact in item.text, (fact, item.text)
    assert mark_read(engine, "demo-rep", item.id) == 0  # not the rep's message: nothing changes
    assert mark_read(engine, "demo-manager", item.id) == 1 and unread_count(engine, "demo-manager") == 0


def test_a_node_that_notifies_the_rep_only_leaves_the_manager_alone(tmp_path):
    settings = _settings(tmp_path)
    _stalled_account(settings, node="first_contact")  # 14 d, notify [rep]
    assert check_and_queue(settings, NOW + dt.timedelta(days=30))["queued"] == 1
    engine = open_engine(settings.db_url)
    assert unread_count(engine, "demo-rep") == 1 and unread_count(engine, "demo-manager") == 0


def test_wecom_robot_gets_markdown_once_across_scans_deliveries_and_a_restart(tmp_path, receivers):
    receivers.append(robot := Receiver())
    settings = _settings(tmp_path, _robot("wecom", robot.url))
    _stalled_account(settings)
    check_and_queue(settings, NOW)
    assert deliver_due(settings, NOW).sent == 1
    assert deliver_due(settings, NOW).sent == 0
    channels_file(settings).cache_clear()  # a restart: the configuration read afresh, same database
    restarted = Settings(data_dir=settings.data_dir, alerts_file=settings.alerts_file, public_url=settings.public_url)
    assert check_and_queue(restarted, NOW + dt.timedelta(hours=3))["queued"] == 0
    assert deliver_due(restarted, NOW + dt.timedelta(hours=3)).sent == 0
    assert robot.requests == 1 and len(robot.accepted) == 1
    body = robot.accepted[0]["body"]
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"content"}
    content = body["markdown"]["content"]
    assert "杭州市第一人民医院" in content and "已预约设备科演示" in content and "超出 144 小时" in content
    assert "https://jinnang.example.cn/accounts/acc-1" in content and "张伟" in content and "王经理" in content


def test_a_refusing_receiver_is_retried_after_the_back_off_and_delivered_once(tmp_path, receivers):
    receivers.append(robot := Receiver(fail_first=1))
    settings = _settings(tmp_path, _robot("wecom", robot.url))
    _stalled_account(settings)
    check_and_queue(settings, NOW)
    first = deliver_due(settings, NOW)
    assert first.sent == 0 and first.retrying == 1 and "HTTP 500" in first.errors[0]
    engine = open_engine(settings.db_url)
    with Session(engine) as session:
        row = session.scalar(select(OutboxRow).where(OutboxRow.channel == "robot"))
        assert row is not None and row.attempts == 1 and row.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert deliver_due(settings, NOW + dt.timedelta(seconds=30)).sent == 0  # still waiting
    assert deliver_due(settings, NOW + dt.timedelta(seconds=61)).sent == 1
    assert deliver_due(settings, NOW + dt.timedelta(hours=5)).sent == 0
    assert robot.requests == 2 and len(robot.accepted) == 1


def test_delivery_gives_up_after_max_attempts_with_doubling_waits(tmp_path, receivers):
    receivers.append(robot := Receiver(fail_first=100))
    settings = _settings(tmp_path, _robot("wecom", robot.url))
    _stalled_account(settings)
    check_and_queue(settings, NOW)
    engine = open_engine(settings.db_url)
    waits = []
    at = NOW
    for _ in range(3):
        deliver_due(settings, at)
        with Session(engine) as session:
            row = session.scalar(select(OutboxRow).where(OutboxRow.channel == "robot"))
            assert row is not None
            waits.append((row.next_attempt_at - at).total_seconds())
            at = row.next_attempt_at
    assert row.status == "failed" and row.attempts == 3 and "HTTP 500" in (row.last_error or "")
    assert waits[:2] == [60, 120]
    deliver_due(settings, at + dt.timedelta(days=1))
    assert robot.requests == 3


def test_dingtalk_signed_mode_is_accepted_and_a_wrong_secret_is_refused(tmp_path, receivers):
    receivers.append(robot := Receiver(secret=SECRET))
    settings = _settings(tmp_path, _robot("dingtalk", robot.url, f", secret: {SECRET}"))
    _stalled_account(settings)
    check_and_queue(settings, NOW)
    assert deliver_due(settings, NOW).sent == 1
    body = robot.accepted[0]["body"]
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "停滞提醒：杭州市第一人民医院"
    assert "超出 144 小时" in body["markdown"]["text"]
    assert "timestamp=" in robot.accepted[0]["path"] and "sign=" in robot.accepted[0]["path"]

    receivers.append(strict := Receiver(secret="SECsomething-else"))
    other = _settings(tmp_path / "other", _robot("dingtalk", strict.url, f", secret: {SECRET}"))
    _stalled_account(other)
    check_and_queue(other, NOW)
    refused = deliver_due(other, NOW)
    assert refused.sent == 0 and "sign not match" in refused.errors[0] and strict.accepted == []


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def test_email_over_smtp_reaches_each_person_once(tmp_path):
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's start-up check cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = _settings(tmp_path, (
            "channels:\n  - {id: mail, kind: email, smtp_host: 127.0.0.1, smtp_port: %d, sender: alerts@jinnang.example.cn,"
            " addresses: {demo-rep: zhang@example.cn, demo-manager: wang@example.cn}}\n" % port))
        _stalled_account(settings)
        check_and_queue(settings, NOW)
        assert deliver_due(settings, NOW).sent == 2
        assert deliver_due(settings, NOW + dt.timedelta(hours=1)).sent == 0
    finally:
        controller.stop()
    assert sorted(to for tos, _ in mailbox.messages for to in tos) == ["wang@example.cn", "zhang@example.cn"]
    mail = message_from_bytes(mailbox.messages[0][1], policy=policy.default)
    assert mail["Subject"] == "停滞提醒：杭州市第一人民医院" and mail["From"] == "alerts@jinnang.example.cn"
    assert "超出 144 小时" in mail.get_content() and "https://jinnang.example.cn/accounts/acc-1" in mail.get_content()
    # e-mail is personal: nothing in the app when the channels file has no in-app channel
    assert unread_count(open_engine(settings.db_url), "demo-rep") == 0


def test_a_message_interrupted_while_sending_is_not_sent_again(tmp_path, receivers):
    receivers.append(robot := Receiver())
    settings = _settings(tmp_path, _robot("wecom", robot.url))
    _stalled_account(settings)
    check_and_queue(settings, NOW)
    engine = open_engine(settings.db_url)
    with Session(engine) as session:  # a process died between claiming the row and marking it sent
        session.execute(update(OutboxRow).where(OutboxRow.channel == "robot").values(status="sending"))
        session.commit()
    report = deliver_due(settings, NOW + dt.timedelta(hours=1))
    assert report.interrupted == 1 and report.sent == 0 and robot.requests == 0


def test_a_service_work_order_tells_the_rep(tmp_path):
    settings = _settings(tmp_path)
    engine = open_engine(settings.db_url)
    upsert_account(engine, AccountSnapshot.model_validate({
        "account_id": "acc-t", "hospital": "宁波市医疗中心", "rep_id": "rep-07", "province": "浙江",
        "journey_node": "trial_confirmation_signed", "node_entered_at": "2026-01-05T09:00:00",
        "last_updated_at": "2026-01-05T09:00:00", "fields": {"trial_start": "2026-01-12", "trial_end": "2026-02-12"},
        "documents": [{"type": "trial_consent", "uploaded_at": "2026-01-06T10:00:00"}]}))
    assert move_account(engine, "acc-t", "trial_in_progress", "rep-07", dt.datetime(2026, 1, 7, 9)).accepted
    result = check_and_queue(settings, dt.datetime(2026, 1, 7, 10))
    assert result["triggers"] == 1
    [item] = [i for i in inbox(engine, "demo-rep") if i.kind == "trigger"]
    assert "宁波市医疗中心" in item.title and "服务已就绪" in item.text and "蔡工" in item.text
    assert [i for i in inbox(engine, "demo-manager") if i.kind == "trigger"] == []
    assert check_and_queue(settings, dt.datetime(2026, 1, 7, 11))["queued"] == 0


def test_a_month_without_data_alerts_nobody(tmp_path):
    settings = _settings(tmp_path)
    result = queue_phi(settings, NOW)
    assert result["month"] == "2025-12" and result["queued"] == 0 and result["teams"] == {}


def test_a_low_month_tells_the_team_managers_once(tmp_path):
    settings = _settings(tmp_path)
    upsert_account(open_engine(settings.db_url), AccountSnapshot.model_validate({
        "account_id": "acc-v", "hospital": "杭州市第一人民医院", "rep_id": "rep-07", "journey_node": "first_contact",
        "node_entered_at": "2025-12-01T09:00:00", "last_updated_at": "2025-12-20T09:00:00",
        "visits": [{"date": "2025-12-05"}, {"date": "2025-12-19"}]}))  # bare visits: none of high quality
    result = queue_phi(settings, NOW)
    assert result["month"] == "2025-12" and result["below_line"] == 1 and result["queued"] == 1
    engine = open_engine(settings.db_url)
    [item] = inbox(engine, "demo-manager")
    assert item.kind == "phi" and "demo-east" in item.title and "低于 65" in item.text
    assert "/reports/process-health?month=2025-12" in (item.link or "")
    assert inbox(engine, "demo-rep") == [] and queue_phi(settings, NOW)["queued"] == 0


def test_a_template_with_an_unknown_placeholder_is_named_with_its_line(tmp_path):
    broken = tmp_path / "messages.yaml"
    broken.write_text("stall: {title: 停滞, text: '{客户}'}\ntrigger: {title: a, text: b}\nphi: {title: a, text: b}\n",
                      encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_yaml_model(broken, MessagesFile)
    assert err.value.field == "stall.text" and err.value.line == 1 and "客户" in err.value.message


def test_a_robot_channel_without_its_address_is_refused(tmp_path):
    settings = _settings(tmp_path, "channels:\n  - {id: in_app, kind: in_app}\n  - {id: robot, kind: wecom}\n")
    with pytest.raises(ConfigError) as err:
        channels_file(settings)()
    assert err.value.field == "channels[1].url" and err.value.line == 3
