"""The embedded default's vectors behind one local Chroma server, started and stopped by `jinnang serve`.

Chroma's embedded store belongs to one process: a second process writing the same directory is not
supported, and a reader never sees another process's additions (its index stays as it was loaded).
With worker processes beside the web, `jinnang serve` therefore runs `chroma run` on the data dir's
`chroma/` folder, on a free loopback port, and points the web and the workers at it. Nothing to
install or run by hand: it is the same store, the same files, a process of the server's own.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from jinnang.core.errors import InputError
from jinnang.core.settings import Settings

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _end_with_parent() -> None:
    """In the child before it starts: SIGTERM it when `jinnang serve` dies, even by `kill -9` (Linux's
    PR_SET_PDEATHSIG); a clean stop goes through `ChromaChild.stop`."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the server outlives a killed parent
        pass


def chroma_command() -> str | None:
    """The `chroma` program beside this Python (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.is_file() else shutil.which("chroma")


@dataclass
class ChromaChild:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def env(self) -> dict[str, str]:
        """What the web and the workers read (settings from the environment)."""
        return {"JINNANG_CHROMA_HOST": "127.0.0.1", "JINNANG_CHROMA_PORT": str(self.port),
                "JINNANG_CHROMA_DATABASE": "default_database"}  # where the embedded store kept its collections

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_chroma_child(settings: Settings) -> ChromaChild:
    """`chroma run` on the data dir's store; returns once it answers. InputError(field="chroma") when it cannot."""
    command = chroma_command()
    if command is None:
        raise InputError("chroma", "the `chroma` program is not installed beside this Python; run with --workers 0")
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = settings.data_dir / "chroma-server.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen([command, "run", "--path", str(settings.chroma_dir.resolve()), "--host", "127.0.0.1",
                                    "--port", str(port)], stdout=log_file, stderr=subprocess.STDOUT,
                                   env={**os.environ, "ANONYMIZED_TELEMETRY": "False"}, start_new_session=True,
                                   preexec_fn=_end_with_parent)
    child = ChromaChild(process, port, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InputError("chroma", f"the local Chroma server exited with {process.returncode}; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                log.info("local Chroma server on 127.0.0.1:%d for %s (pid %d)", port, settings.chroma_dir, process.pid)
                return child
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    child.stop()
    raise InputError("chroma", f"the local Chroma server did not answer within {START_TIMEOUT_SECONDS:.0f} s; "
                               f"see {log_path}")
