"""A real `leadflow serve` process on a free loopback port, for tests of real concurrency."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from leadflow import db

ROOT = Path(__file__).resolve().parents[2]


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
                          capture_output=True, text=True, input=input, timeout=300)


class LiveServer:
    def __init__(self, url: str, **extra: str):
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.extra = {"LEADFLOW_BASE_URL": self.base, **extra}  # embed codes and form posts point here
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> LiveServer:
        db.upgrade(self.url)
        key = run_cli(self.url, "apikey", "create", "--name", "live")
        assert key.returncode == 0, key.stderr
        self.key = key.stdout.strip()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "leadflow", "serve", "--port", str(self.port)],
            env=cli_env(self.url, **self.extra), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("leadflow serve did not start")

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.key}"}

    def __exit__(self, *exc) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def run_async(coroutine):
    """asyncio.run in a thread of its own: a browser test in the same worker leaves its event loop running."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
