"""Browser-test fixtures: a real JupyterLab server and headless Debian Chromium via playwright.

One JupyterLab per test session (a temp root_dir, a token, a free port, isolated settings and
workspaces, the news popup off); one fresh browser context and page per test, with a screenshot
saved under tests/artifacts/ when the test ends (passed or not).

Models: the kernels talk to the project's Gemini-compatible test server (``gemini``, one per
session, emptied before each test) through the real google-genai SDK, with a fake key.

Chromium is Debian's ``/usr/bin/chromium`` (``apt-get install -y chromium``); playwright's own
browser download is never used. Without it the tests are skipped, unless
``JUPYTER_CODEGEN_REQUIRE_BROWSER=1`` (CI), where a missing browser is an error.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gemini_server import FAKE_GEMINI_KEY, GeminiTestServer

CHROMIUM = os.environ.get("JUPYTER_CODEGEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
#: Generous: JupyterLab's first load and a kernel start on a busy 2-core machine.
TIMEOUT_MS = 90_000
SERVER_START_S = 120

pytestmark = pytest.mark.browser


def _require_browser() -> bool:
    return os.environ.get("JUPYTER_CODEGEN_REQUIRE_BROWSER", "") not in ("", "0")


def _missing(reason: str) -> None:
    if _require_browser():
        pytest.fail(f"{reason} (JUPYTER_CODEGEN_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# --- the JupyterLab server ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LabServer:
    """A running ``jupyter lab`` (or ``jupyter notebook``) subprocess."""

    def __init__(
        self,
        root: Path,
        app: str,
        disabled: tuple[str, ...] = (),
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.extra_env = dict(extra_env or {})
        self.app = app
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        home = root.parent / f"{root.name}-home"
        self.home = home
        self.log_path = ARTIFACTS / f"server-{app}-{root.name}.log"
        self._settings = home / "lab-settings"
        self._config = home / "config"
        self._write_settings(disabled)
        self.proc: subprocess.Popen[bytes] | None = None

    def _write_settings(self, disabled: tuple[str, ...]) -> None:
        apputils = self._settings / "@jupyterlab" / "apputils-extension"
        notify = apputils / "notification.jupyterlab-settings"
        notify.parent.mkdir(parents=True, exist_ok=True)
        notify.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        labconfig = self._config / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {name: True for name in disabled}})
        )

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            JUPYTERLAB_SETTINGS_DIR=str(self._settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
            # Only our page_config (disabled extensions); kernels, labextensions and the
            # server extensions still come from sys.prefix (the venv).
            JUPYTER_CONFIG_DIR=str(self._config),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        module = "jupyterlab" if self.app == "lab" else "notebook"
        cmd = [
            sys.executable,
            "-m",
            module,
            "--no-browser",
            "--allow-root",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            # window.jupyterapp: tests read notebook models instead of scraping the DOM.
            "--expose-app-in-browser",
        ]
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=self.env(), stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + SERVER_START_S
        status = f"{self.url}/api/status?token={self.token}"
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter {self.app} exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(status, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter {self.app} did not answer; see {self.log_path}")
            # Polling a server that is starting: the only wait here, bounded by the deadline.
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the server's REST API (token auth); JSON in and out."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def page_url(self, path: str, workspace: str) -> str:
        if self.app == "lab":
            return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"
        return f"{self.url}/notebooks/{path}?token={self.token}"


def _start(tmp_path_factory: pytest.TempPathFactory, app: str, **kw: Any) -> Iterator[LabServer]:
    if shutil.which(sys.executable) is None:  # pragma: no cover
        pytest.skip("no python")
    root = tmp_path_factory.mktemp(f"{app}-root")
    server = LabServer(root, app, **kw)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gemini_session() -> Iterator[GeminiTestServer]:
    with GeminiTestServer() as server:
        yield server


@pytest.fixture
def gemini(gemini_session: GeminiTestServer) -> GeminiTestServer:
    """The session's Gemini test server, with no queued replies and no recorded requests."""
    gemini_session.reset()
    return gemini_session


def _kernel_env(gemini: GeminiTestServer, home: Path) -> dict[str, str]:
    """What the kernels inherit: the test server, a fake key, a private pin store."""
    env = {
        "GOOGLE_GEMINI_BASE_URL": gemini.url,
        "GEMINI_API_KEY": FAKE_GEMINI_KEY,
        "JUPYTER_CODEGEN_CACHE_DIR": str(home / "codegen-cache"),
        "JUPYTER_CODEGEN_MODEL": "",
    }
    for name in ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT"):
        env[name] = ""
    return env


@pytest.fixture(scope="session")
def lab_server(
    tmp_path_factory: pytest.TempPathFactory, gemini_session: GeminiTestServer
) -> Iterator[LabServer]:
    """JupyterLab with the extension installed and enabled."""
    home = tmp_path_factory.mktemp("kernel-home")
    yield from _start(tmp_path_factory, "lab", extra_env=_kernel_env(gemini_session, home))


@pytest.fixture(scope="session")
def notebook_server(
    tmp_path_factory: pytest.TempPathFactory, gemini_session: GeminiTestServer
) -> Iterator[LabServer]:
    """Notebook 7 with the extension."""
    home = tmp_path_factory.mktemp("kernel-home-nb7")
    yield from _start(tmp_path_factory, "notebook", extra_env=_kernel_env(gemini_session, home))


@pytest.fixture(scope="session")
def notebook_server_without_extension(
    tmp_path_factory: pytest.TempPathFactory, gemini_session: GeminiTestServer
) -> Iterator[LabServer]:
    """Notebook 7 with the jupyter-codegen extension disabled (the kernel-side fallback)."""
    home = tmp_path_factory.mktemp("kernel-home-nb")
    yield from _start(
        tmp_path_factory,
        "notebook",
        disabled=("jupyter-codegen",),
        extra_env=_kernel_env(gemini_session, home),
    )


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing('playwright is missing: pip install -e ".[browser]"')
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot under tests/artifacts/ at the end.

    ``page.console_errors`` collects console errors and uncaught page errors.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{_artifact_name(request.node.nodeid)}.png"
        try:
            page.screenshot(path=str(shot), full_page=False)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"screenshot failed: {exc}")
        context.close()
