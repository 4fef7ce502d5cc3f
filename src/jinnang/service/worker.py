"""`jinnang worker`: a process that runs ingest jobs, and the supervisor `jinnang serve --workers N` uses.

- SQLite (the embedded default): a loop that claims due jobs from `ingest_jobs` (the atomic claim
  of service/queue.py) and runs them, sleeping briefly when idle. Several such processes may run.
- PostgreSQL: a Procrastinate worker (service/queue.py's app), which also sweeps at start.

Either way the process pins its BLAS/ONNX pools (ingest/threads.py) so N workers on N cores do not
fight, and SIGTERM / SIGINT stop it gracefully: the current job finishes, no new one starts.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from jinnang.core.settings import Settings
from jinnang.ingest.store import ingest_engine
from jinnang.ingest.threads import limit_process_threads
from jinnang.service.queue import (
    due_jobs,
    ensure_queue_schema,
    run_one,
    stalled_after_seconds,
    sweep,
    uses_queue,
    worker_app,
)

log = logging.getLogger(__name__)
IDLE_SECONDS = 0.5
HEARTBEAT_SECONDS = 5.0


def _prepare(settings: Settings) -> None:
    from jinnang.service.pipeline import ensure_all_tables

    limit_process_threads()
    ensure_all_tables(settings)


def local_loop(settings: Settings, stop: threading.Event, *, exit_when_idle: bool = False,
               idle_seconds: float = IDLE_SECONDS) -> int:
    """Run due jobs until `stop` is set (or, with `exit_when_idle`, until none is due); returns how many ran."""
    engine = ingest_engine(settings)
    ran = 0
    while not stop.is_set():
        took = False
        try:
            for job_id in due_jobs(engine):
                if stop.is_set():
                    break
                if run_one(settings, job_id) is not None:
                    ran, took = ran + 1, True
                    break  # look again from the oldest: another worker may have taken the next ones
        except Exception:  # a database busy past its retries: the worker lives on and looks again
            log.exception("worker loop: looking for jobs failed; trying again shortly")
        if not took:
            if exit_when_idle:
                break
            stop.wait(idle_seconds)
    return ran


def run_local_worker(settings: Settings, concurrency: int = 1, *, exit_when_idle: bool = False,
                     stop: threading.Event | None = None) -> int:
    """`concurrency` loops in this process (threads); SIGTERM/SIGINT end them after their current job."""
    _prepare(settings)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    counts: list[int] = []

    def loop() -> None:
        counts.append(local_loop(settings, stop, exit_when_idle=exit_when_idle))

    threads = [threading.Thread(target=loop, name=f"jinnang-worker-{i}", daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # a join with a timeout lets the signal handler run
            thread.join(0.5)
    return sum(counts)


def run_queue_worker(settings: Settings, concurrency: int = 1, *, exit_when_idle: bool = False) -> None:
    """A Procrastinate worker on the settings' PostgreSQL; sweeps once at start, then every 30 s."""
    _prepare(settings)
    ensure_queue_schema(settings)
    stalled_after = stalled_after_seconds()
    app = worker_app(settings, pool_size=concurrency + 3)

    async def main() -> None:
        async with app.open_async():
            await sweep(app, stalled_after)
            await app.run_worker_async(
                concurrency=concurrency, wait=not exit_when_idle, name=f"jinnang-{os.getpid()}",
                additional_context={"settings": settings, "stalled_after": stalled_after},
                update_heartbeat_interval=min(HEARTBEAT_SECONDS, stalled_after / 3),
                stalled_worker_timeout=stalled_after, delete_jobs="successful",
                fetch_job_polling_interval=2.0, install_signal_handlers=True)

    asyncio.run(main())


def run_worker(settings: Settings, concurrency: int = 1, *, exit_when_idle: bool = False) -> None:
    """The worker for the settings' database (what `jinnang worker` runs). A long-running worker also
    runs the scheduled jobs (stall check, delivery, playbook refresh, monthly PHI, learn), which the web
    leaves to the workers when they run the uploads: each slot runs once however many workers tick
    (service/scheduler.py), and the heavy ones stay out of the web process."""
    from jinnang.service.scheduler import start_scheduler

    stop_scheduler = None if exit_when_idle else start_scheduler(settings)  # a batch run does its jobs and ends
    try:
        if uses_queue(settings):
            log.info("worker %d: Procrastinate on PostgreSQL, concurrency %d", os.getpid(), concurrency)
            run_queue_worker(settings, concurrency, exit_when_idle=exit_when_idle)
        else:
            log.info("worker %d: polling the SQLite jobs table, concurrency %d", os.getpid(), concurrency)
            run_local_worker(settings, concurrency, exit_when_idle=exit_when_idle)
    finally:
        if stop_scheduler is not None:
            stop_scheduler()


# --- child processes for `jinnang serve --workers N` ----------------------------------------------

def worker_command(concurrency: int = 1, exit_when_idle: bool = False, watch_parent: bool = False) -> list[str]:
    """The command of one worker process: this Python, without going through the CLI's imports. With
    `watch_parent` the worker stops once this process is gone; its pid is passed, since this process may
    die before the worker's Python has started and could look up its parent."""
    code = ("from jinnang.service.worker import main; "
            f"main(concurrency={concurrency}, exit_when_idle={exit_when_idle}, "
            f"parent_pid={os.getpid() if watch_parent else None})")
    return [sys.executable, "-c", code]


def _stop_when_orphaned(parent: int) -> None:
    """SIGTERM to this process (a graceful stop) once its parent is gone: a `jinnang serve` killed
    with -9 must not leave its workers running for ever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(2.0)
        log.warning("the process that started this worker is gone; stopping after the current job")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="jinnang-parent-watch", daemon=True).start()


def main(concurrency: int = 1, exit_when_idle: bool = False, parent_pid: int | None = None) -> None:
    """Entry of a worker child: settings from the environment, logs as configured."""
    from jinnang.core.logs import configure_logging
    from jinnang.core.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_format)
    if parent_pid is not None:
        _stop_when_orphaned(parent_pid)
    run_worker(settings, concurrency, exit_when_idle=exit_when_idle)


@dataclass
class WorkerPool:
    """N worker processes; one that dies unasked is started again (after a pause, so a worker
    failing at start does not spin)."""

    count: int
    env: dict[str, str] | None = None
    restart_pause: float = 2.0
    processes: list[subprocess.Popen] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None

    def start(self) -> WorkerPool:
        self.processes = [self._spawn() for _ in range(self.count)]
        self._watcher = threading.Thread(target=self._watch, name="jinnang-worker-watch", daemon=True)
        self._watcher.start()
        log.info("started %d worker processes: %s", self.count, ", ".join(str(p.pid) for p in self.processes))
        return self

    def _spawn(self) -> subprocess.Popen:
        env = {**os.environ, **(self.env or {})}
        # its own session: a Ctrl-C reaches the server, which stops the workers itself
        return subprocess.Popen(worker_command(watch_parent=True), env=env, start_new_session=True)

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for i, process in enumerate(self.processes):
                if process.poll() is not None and not self._stopping.is_set():
                    log.warning("worker %d exited with %s; starting another", process.pid, process.returncode)
                    time.sleep(self.restart_pause)
                    if not self._stopping.is_set():
                        self.processes[i] = self._spawn()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def stop(self, timeout: float = 300.0) -> list[int | None]:
        """SIGTERM to each (they finish their current job), then SIGKILL after `timeout` s; exit codes."""
        self._stopping.set()
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker %d did not stop within %.0f s; killing it", process.pid, timeout)
                process.kill()
                process.wait()
        return [p.returncode for p in self.processes]


# what `jinnang serve` started beside the web (workers, the local Chroma server), stopped by the app's
# shutdown handler: uvicorn ends its process by re-raising the signal, so code after `uvicorn.run` never runs
_at_server_exit: list[Callable[[], object]] = []


def at_server_exit(stop: Callable[[], object]) -> None:
    _at_server_exit.append(stop)


def run_server_exit_hooks() -> None:
    """Stop, last started first, what `at_server_exit` was given; each once."""
    while _at_server_exit:
        stop = _at_server_exit.pop()
        try:
            stop()
        except Exception:
            log.exception("stopping %r at server exit failed", stop)


def start_workers(count: int, env: dict[str, str] | None = None) -> WorkerPool:
    """`count` worker processes with this process's environment (plus `env`); `.stop()` ends them."""
    return WorkerPool(count, env).start()

