"""The parts of ``bench/soak_chaos.py``: a throwaway PostgreSQL cluster and Redis server of its
own, the Jobbro processes as ``jobbro serve`` runs them, a small browser, and process memory.

Everything listens on 127.0.0.1 on free ports and lives in one temporary folder; nothing of the
machine's own PostgreSQL or Redis is touched (the soak restarts what it owns, and only that).
"""

from __future__ import annotations

import contextlib
import glob
import html
import http.cookiejar
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition, seconds: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")


# --- PostgreSQL and Redis of our own ----------------------------------------------------------


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server binaries (Debian's /usr/lib/postgresql/N/bin)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    return Path(found[-1]).parent if found else None


class OwnPostgres:
    """A PostgreSQL cluster made with ``initdb`` in ``folder`` on a free port (trust auth on
    127.0.0.1 only). Run as the ``postgres`` user when this process is root (initdb refuses
    root)."""

    def __init__(self, folder: Path) -> None:
        bin_dir = postgres_bin()
        if bin_dir is None:
            raise RuntimeError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
        self.bin = bin_dir
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = free_port()
        self.user: str | None = "postgres" if os.geteuid() == 0 else None
        folder.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return subprocess.run(
            [*prefix, *argv], capture_output=True, text=True, check=check, cwd="/"
        )

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "-A", "trust", "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 -c shared_buffers=64MB"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.folder / "postgres.log"), "-o", options, "-w", "-t", "60",
                  "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60",
                  "stop", check=False)  # fmt: skip

    def pids(self) -> list[int]:
        """The postmaster and its backends (for memory figures)."""
        pid_file = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            return [int(pid_file.read_text().split()[0])]
        return []

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", name)  # fmt: skip


class OwnRedis:
    """A redis-server on a free port, configured as the deployment's (nothing persisted:
    Redis only carries work)."""

    def __init__(self, folder: Path) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed")
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(self.ping, 30, "redis-server")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


# --- the Jobbro processes ---------------------------------------------------------------------


def jobbro(*args: str, env: dict[str, str], timeout: float = 1800) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "workers.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"jobbro {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def process_role(cmdline: list[str]) -> str | None:
    """What a process of the system is, from its command line."""
    text = " ".join(cmdline)
    if "workers.cli serve" in text:
        return "serve"
    if "workers.cli worker" in text:
        return "worker"
    if "workers.cli scheduler" in text:
        return "scheduler"
    if "gunicorn" in text:
        return "web"
    if "rq" in text and "scheduler" in text:
        return "rq-scheduler"
    return None


def system_processes(root_pids: list[int]) -> dict[str, list[tuple[int, int]]]:
    """``role -> [(pid, rss bytes)]`` of every process below ``root_pids`` (psutil)."""
    import psutil

    found: dict[str, list[tuple[int, int]]] = {}
    for root in root_pids:
        try:
            top = psutil.Process(root)
            tree = [top, *top.children(recursive=True)]
        except psutil.Error:
            continue
        for process in tree:
            try:
                role = process_role(process.cmdline()) or process.name()
                parent = process.parent()
                if parent is not None and process_role(parent.cmdline()) == role:
                    # gunicorn's workers under its master; RQ's scheduler forked by a worker
                    role = {"web": "web worker", "worker": "rq scheduler"}.get(role, role)
                found.setdefault(role, []).append((process.pid, process.memory_info().rss))
            except psutil.Error:
                continue
    for entries in found.values():
        entries.sort()
    return found


# --- a small browser --------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # name -> the values a radio or select offers (for a user who picks one)
    choices: dict[str, list[str]] = field(default_factory=dict)

    def data(self, **changes: str) -> list[tuple[str, str]]:
        kept = [(n, v) for n, v in self.fields if n not in changes]
        return kept + list(changes.items())


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._selected: str | None = None
        self._first: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                form.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._selected, self._first = name, None, None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            form.choices.setdefault(self._select, []).append(value)
            if self._first is None:
                self._first = value
            if "selected" in a:
                self._selected = value

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            chosen = self._selected if self._selected is not None else self._first
            if chosen is not None:
                self._form.fields.append((self._select, chosen))
            self._select = None


def forms(page: str) -> list[Form]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def links(page: str, pattern: str) -> list[str]:
    """The distinct hrefs on ``page`` matching the regular expression ``pattern``."""
    seen: dict[str, None] = {}
    for href in re.findall(r'href="([^"]+)"', page):
        href = html.unescape(href)
        if re.fullmatch(pattern, href):
            seen[href] = None
    return list(seen)


@dataclass
class Answer:
    status: int  # 0: no answer (refused, reset, timed out)
    url: str
    text: str
    seconds: float


class Recorder:
    """Every request of every user: (monotonic time, status, name, seconds)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[float, int, str, float]] = []

    def add(self, status: int, name: str, seconds: float) -> None:
        with self.lock:
            self.rows.append((time.monotonic(), status, name, seconds))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


class Browser:
    """One user's cookie jar; follows redirects itself so that every hop is recorded."""

    def __init__(self, base: str, recorder: Recorder, timeout: float = 30) -> None:
        self.base = base
        self.recorder = recorder
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, path: str, name: str, data: list[tuple[str, str]] | None = None) -> Answer:
        url = urllib.parse.urljoin(self.base, path)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        for _hop in range(5):
            started = time.monotonic()
            try:
                with self.opener.open(url, data=body, timeout=self.timeout) as response:
                    status, text = response.status, response.read().decode(errors="replace")
                    location = None
            except urllib.error.HTTPError as exc:
                status = exc.code
                text = exc.read().decode(errors="replace")
                location = exc.headers.get("Location")
            except (OSError, ValueError):  # refused, reset, timed out, half-read
                status, text, location = 0, "", None
            self.recorder.add(status, name, time.monotonic() - started)
            if status in (301, 302, 303, 307, 308) and location:
                url = urllib.parse.urljoin(url, location)
                if status != 307:
                    body = None
                name = name + " →"
                continue
            return Answer(status, url, text, time.monotonic() - started)
        return Answer(status, url, text, 0.0)

    def get(self, path: str, name: str) -> Answer:
        return self.request(path, name)

    def submit(self, page: Answer, action_contains: str, name: str, **changes: str) -> Answer:
        """Fill in and send the first form on ``page`` whose action contains
        ``action_contains`` (its hidden CSRF token included), changing ``changes``."""
        for form in forms(page.text):
            if action_contains in form.action and form.method == "post":
                action = urllib.parse.urljoin(page.url, form.action or page.url)
                return self.request(action, name, form.data(**changes))
        raise LookupError(f"no form posting to {action_contains!r} on {page.url}")

    def login(self, email: str, password: str) -> bool:
        page = self.get("/login", "/login")
        if page.status != 200:
            return False
        answer = self.submit(page, "/login", "/login (POST)", email=email, password=password)
        if answer.status == 200 and "vaelg-organisation" in answer.url:
            # Several roles (an employer who administers its company too): the last, the user's.
            chosen = next(
                (f.choices["membership"][-1] for f in forms(answer.text)
                 if "vaelg-organisation" in f.action and f.choices.get("membership")),
                "",
            )  # fmt: skip
            answer = self.submit(
                answer, "vaelg-organisation", "/vaelg-organisation (POST)", membership=chosen
            )
        return answer.status == 200 and "/login" not in answer.url


def kill_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
