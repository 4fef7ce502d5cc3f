"""JSON log lines (JINNANG_LOG_FORMAT=json): one object a line, tracebacks kept, no query strings."""
from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import pytest

from jinnang.core.logs import configure_logging, log_format


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_each_record_is_one_json_object_with_time_level_logger_message(restore_root):
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    logging.getLogger("jinnang.ingest.pipeline").warning("job %s: 第 %d 次重试", "job-1", 2)
    try:
        raise ValueError("bad\nline")
    except ValueError:
        logging.getLogger("jinnang.x").exception("ingest job %s failed", "job-2")
    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first["level"] == "WARNING" and first["logger"] == "jinnang.ingest.pipeline"
    assert first["message"] == "job job-1: 第 2 次重试" and first["time"].endswith("+00:00")
    assert "exception" not in first
    assert second["level"] == "ERROR" and "ValueError: bad\nline" in second["exception"]


def test_configuring_twice_writes_each_line_once(restore_root):
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    configure_logging("json", stream=stream)
    logging.getLogger("jinnang.y").info("once")
    assert len(stream.getvalue().splitlines()) == 1


def test_uvicorn_access_lines_lose_their_query_strings(restore_root):
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET",
                                             "/playbook?q=王建国 病历", "1.1", 200)
    line = json.loads(stream.getvalue())
    assert line["message"] == '127.0.0.1:5 - "GET /playbook HTTP/1.1" 200' and "王建国" not in stream.getvalue()


def test_text_is_the_default_and_an_unknown_format_is_refused(monkeypatch):
    monkeypatch.delenv("JINNANG_LOG_FORMAT", raising=False)
    assert log_format() == "text"
    monkeypatch.setenv("JINNANG_LOG_FORMAT", "JSON")
    assert log_format() == "json"
    monkeypatch.setenv("JINNANG_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="JINNANG_LOG_FORMAT"):
        log_format()


def test_a_process_configured_by_the_environment_writes_json_on_stderr():
    code = ("import logging; from jinnang.core.logs import configure_logging; configure_logging(); "
            "logging.getLogger('jinnang.z').error('document %s failed', 'doc-1'); print('out')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**__import__("os").environ, "JINNANG_LOG_FORMAT": "json"})
    assert out.returncode == 0 and out.stdout == "out\n"
    assert json.loads(out.stderr)["message"] == "document doc-1 failed"


def test_uvicorn_configured_with_our_log_config_writes_through_our_handler(restore_root):
    import uvicorn

    from jinnang.core.logs import uvicorn_log_config

    stream = io.StringIO()
    configure_logging("json", stream=stream)
    uvicorn.Config(app="jinnang.web.app:create_app", factory=True, log_config=uvicorn_log_config(), log_level="info")
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET",
                                             "/v1/playbook/search?q=张三", "1.1", 200)
    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first["logger"] == "uvicorn.error" and first["message"] == "Started server process [42]"
    assert second["logger"] == "uvicorn.access" and "张三" not in second["message"]


def test_spacy_imported_after_configuration_logs_through_our_handler_only():
    code = ("import logging; from jinnang.core.logs import configure_logging; configure_logging(); "
            "import spacy.util; spacy.util.logger.warning('model %s missing', 'zh'); "
            "logging.getLogger('spacy').info('Created vocabulary')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "JINNANG_LOG_FORMAT": "json"})
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stderr.splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["model zh missing", "Created vocabulary"]
