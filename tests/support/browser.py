"""Browser tests: Debian's Chromium under Playwright, axe-core, screenshots, a portal served on
a free local port, and the steps every journey uses (log in, log out, check a page).

Uses Debian's Chromium (no browser download). Assets come from portal/assets
(`bash portal/assets/build.sh`), built here if missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matching.core.settings import Settings
from matching.demo.organisations import DEMO_PASSWORD
from portal.app import create_app
from tests.support.paths import ROOT


def check(page, name: str) -> None:  # noqa: ANN001
    axe_check(page, name)
    screenshot(page, name)


def log_in(page, base: str, email: str, password: str = DEMO_PASSWORD, role: str = "") -> None:  # noqa: ANN001
    """Log in; with several roles, choose the one whose label contains ``role``."""
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state()
    if "/vaelg-organisation" in page.url:
        page.get_by_label(re.compile(role or "Virksomhedsbruger|Jobrådgiver")).first.check()
        page.get_by_role("button").filter(has_text=re.compile("Vælg|Fortsæt")).first.click()
        page.wait_for_load_state()


def log_out(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_load_state()


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free local port in a thread (browser tests); yields the base URL."""
    import socket
    import threading

    from werkzeug.serving import make_server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        engine = app.extensions.get("jobbro_engine")
        if engine is not None:
            engine.dispose()


def browser_test_settings(tmp: Path, name: str, redis_url: str) -> Settings:
    """Settings of a browser test's own portal: a SQLite file, a real Redis, the test encoder."""
    return Settings.from_env(
        {
            "JOBBRO_ENV": "test",
            "JOBBRO_ENCODER": "fake",
            "JOBBRO_DATA_DIR": str(tmp),
            "JOBBRO_DATABASE_URL": f"sqlite:///{tmp / f'{name}.sqlite3'}",
            "JOBBRO_REDIS_URL": redis_url,
            "JOBBRO_SECRET_KEY": f"{name}-browser-test-secret-key-0123456789abcdef",
        }
    )


@dataclass
class BrowserPortal:
    """A browser test's running portal: its address, settings, database and Redis."""

    base: str
    settings: Settings
    engine: Engine
    redis_url: str
    seeded: object = None  # what the seed function returned

    def run_worker(self, *queues: str) -> None:
        """What `jobbro serve`'s worker does: run the queued jobs until the queues are empty."""
        import redis

        from workers.queues import QueueName
        from workers.worker import run_worker

        connection = redis.Redis.from_url(self.redis_url)
        run_worker(self.settings, connection, [QueueName(q) for q in queues] or None, burst=True)


@contextmanager
def seeded_portal(
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,
    name: str,
    seed: Callable[[Session], object],
) -> Iterator[BrowserPortal]:
    """A fresh schema in its own SQLite file, seeded by ``seed``, served for a browser, with
    an empty Redis before and after."""
    import redis

    from matching.core.db import make_engine
    from matching.core.migrate import reset_schema_for_tests
    from tests.support.browser import ensure_assets, ensure_chromium

    ensure_chromium()
    ensure_assets()
    settings = browser_test_settings(tmp_path_factory.mktemp(name), name, redis_url)
    redis.Redis.from_url(redis_url).flushdb()
    engine = make_engine(settings)
    reset_schema_for_tests(engine)
    with Session(engine) as session:
        seeded = seed(session)
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield BrowserPortal(base, settings, engine, redis_url, seeded)
    finally:
        engine.dispose()
        redis.Redis.from_url(redis_url).flushdb()


ASSETS = ROOT / "portal" / "assets"


AXE_JS = ASSETS / "node_modules" / "axe-core" / "axe.min.js"


DKFDS_CSS = ROOT / "portal" / "static" / "dkfds" / "css" / "dkfds.min.css"


SCREENSHOTS = ROOT / "var" / "screenshots"


CHROMIUM = Path("/usr/bin/chromium")


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


SERIOUS = ("serious", "critical")


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get"):
        subprocess.run(
            "apt-get update -qq && apt-get install -y -qq chromium",
            shell=True,
            check=False,
            capture_output=True,
            timeout=600,
        )
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing and could not be installed: run "
            "`apt-get update && apt-get install -y chromium` (make browser-deps)"
        )


def ensure_assets() -> None:
    if AXE_JS.is_file() and DKFDS_CSS.is_file():
        return
    if not shutil.which("npm"):
        pytest.fail("npm is needed to build portal assets and axe-core: apt-get install npm")
    result = subprocess.run(
        ["bash", str(ASSETS / "build.sh")], capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0 or not AXE_JS.is_file():
        pytest.fail(f"portal/assets/build.sh failed:\n{result.stdout}\n{result.stderr}")


def axe_check(page, name: str) -> None:
    """Run axe-core on the page; fail on serious or critical WCAG 2.1 A/AA violations."""
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    serious = [v for v in result["violations"] if v["impact"] in SERIOUS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in serious
    )
    assert not serious, f"axe found serious accessibility problems on {name}:\n{report}"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
