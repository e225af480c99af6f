"""A real `leadflow serve` process on a free loopback port, for tests of real concurrency.

It is waited for on its readiness (the process alive and /healthz answering), not on a fixed deadline: on a loaded
machine a start can take many seconds. A process that exits first fails the test at once with its log.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from leadflow import db

ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE_S = 300  # only a server that is truly stuck takes this long; a normal start returns at once


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env.update({"LEADFLOW_DATABASE_URL": url, "LEADFLOW_SECRET_KEY": "live-test-" + "y" * 40,
                "LEADFLOW_EMBEDDED_WORKER": "false", "LEADFLOW_LOG_LEVEL": "WARNING",
                "LEADFLOW_RATE_LIMIT_PER_MINUTE": "100000"})
    env.update(extra)
    return env


def run_cli(url: str, *args: str, input: str | None = None, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "leadflow", *args], env=cli_env(url, **extra), cwd=ROOT,
                          capture_output=True, text=True, input=input, timeout=600)


def wait_for(condition: Callable[[], object], *, what: str, deadline_s: float = START_DEADLINE_S,
             alive: Callable[[], str | None] = lambda: None) -> object:
    """Poll until `condition` is true; `alive` names why waiting is pointless (a process that exited)."""
    deadline = time.monotonic() + deadline_s
    while True:
        result = condition()
        if result:
            return result
        problem = alive()
        if problem:
            raise RuntimeError(f"{what}: {problem}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {deadline_s} s")
        time.sleep(0.05)


class LiveServer:
    def __init__(self, url: str, *, workers: int = 1, **extra: str):
        self.url = url
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.extra = {"LEADFLOW_BASE_URL": self.base, **extra}  # embed codes and form posts point here
        self.process: subprocess.Popen | None = None
        self.log_file = tempfile.NamedTemporaryFile(prefix="leadflow-serve-", suffix=".log", delete=False)
        self.started_in: float | None = None  # seconds from the command to the first answer of /healthz

    def __enter__(self) -> LiveServer:
        db.upgrade(self.url)
        self.key = _api_key(self.url)
        command = [sys.executable, "-m", "leadflow", "serve", "--port", str(self.port)]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        began = time.monotonic()
        # The log goes to a file, never a pipe nobody reads (a full pipe would stop the server).
        self.process = subprocess.Popen(command, env=cli_env(self.url, **self.extra), cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=self.log_file)
        try:
            wait_for(self._answers, what="leadflow serve did not start", alive=self.exited)
        except BaseException:
            self.__exit__()
            raise
        self.started_in = time.monotonic() - began
        return self

    def _answers(self) -> bool:
        try:
            return httpx.get(self.base + "/healthz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def exited(self) -> str | None:
        code = self.process.poll() if self.process else None
        return None if code is None else f"it exited with code {code}:\n{self.log()[-4000:]}"

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        return Path(self.log_file.name).read_text("utf-8", errors="replace")

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.key}"}

    def stop(self) -> int | None:
        """Stop the server the way an operator does (SIGTERM; it finishes the requests it has) and wait for it."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None

    def __exit__(self, *exc) -> None:
        self.stop()
        self.log_file.close()
        Path(self.log_file.name).unlink(missing_ok=True)


def _api_key(url: str) -> str:
    """A key for the tests' requests, made in this process (a CLI start costs seconds on a loaded machine)."""
    from leadflow.people import service as people_service

    engine = db.make_engine(url)
    try:
        with db.make_sessionmaker(engine)() as session:
            _, key = people_service.create_api_key(session=session, name="live")
            session.commit()
    finally:
        engine.dispose()
    return key


def run_async(coroutine):
    """asyncio.run in a thread of its own: a browser test in the same worker leaves its event loop running."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def at_once(calls: list[Callable[[], object]]) -> list:
    """Run the calls in threads released together by a barrier (a race, not a queue); their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=120)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
