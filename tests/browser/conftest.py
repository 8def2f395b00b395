"""Fixtures of the browser tests: JupyterLab servers on 127.0.0.1 and Debian's chromium driven by Playwright.

One chromium and one course server serve every test. Each server has a free port, a random token and
folders of its own (configuration, runtime, class data); the course server serves a temporary copy of
notebooks/ and solutions/, so autosave never writes to the repository.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT

from .jupyterlab import TIMES, Lab, timed

from autograder.settings import make_class

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # reported by the browser fixture, so that the rest of the suite still runs
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright never downloads a browser here
# No sandbox (as root), no GPU, and nothing that reaches for the network, which is closed.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HERE = Path(__file__).parent
SCREENSHOTS = ROOT / "build" / "screenshots"
NOTEBOOKS = [str(p.relative_to(ROOT)) for folder in ("notebooks", "solutions")
             for p in sorted((ROOT / folder).glob("[0-9][0-9]_*/*.ipynb"))]


def pytest_terminal_summary(terminalreporter):
    if TIMES:
        terminalreporter.section("browser test times")
        for step, seconds in TIMES:
            terminalreporter.write_line(f"{seconds:7.1f} s  {step}")
        terminalreporter.write_line(f"{sum(s for _, s in TIMES):7.1f} s  in all")


def pytest_collection_modifyitems(items):
    """Keep the tests of one notebook together: it runs once, and closes before the next one opens."""
    def notebook(item):
        return item.callspec.params.get("notebook") if hasattr(item, "callspec") and item.path.parent == HERE else None

    positions = [k for k, item in enumerate(items) if notebook(item)]
    grouped = sorted((items[k] for k in positions), key=lambda item: NOTEBOOKS.index(notebook(item)))
    for k, item in zip(positions, grouped):
        items[k] = item


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item):
    report = yield
    item.failed = getattr(item, "failed", False) or report.failed
    return report


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, through Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"The browser tests need Debian's chromium at {CHROMIUM}, which is not installed. "
                    "`make test` installs it when run as root on a machine with apt "
                    "(apt-get install chromium); install it, or run the tests where it can be.", pytrace=False)
    if sync_playwright is None:
        pytest.fail("The browser tests need the Python package playwright (the `test` extra): "
                    "run `make install` or pip install -e '.[test]'.", pytrace=False)
    for stale in SCREENSHOTS.glob("failed-*.png"):
        stale.unlink()
    with timed("start chromium"):
        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(server, url, log, timeout=120):
    """Wait until the server answers on ``url``; fail with its log when it exits or takes too long."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            opener.open(url, timeout=5).close()
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"JupyterLab did not start ({url}); its log {log}:\n{log.read_text()[-3000:]}", pytrace=False)


@contextmanager
def jupyterlab_server(root, workdir, env):
    """JupyterLab on 127.0.0.1 serving ``root``; its configuration, runtime files and log go to ``workdir``.

    env: variables to set, None to unset. Yields ``(url, token)``; stops the server and its kernels.
    """
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "JUPYTER_CONFIG_DIR": str(workdir / "config"),
                   "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"), **env}
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True"]
    if os.getuid() == 0:
        command.append("--allow-root")
    log = workdir / "jupyterlab.log"
    with open(log, "w") as output:
        server = subprocess.Popen(command, cwd=root, stdout=output, stderr=subprocess.STDOUT,
                                  env={name: value for name, value in environment.items() if value is not None})
    try:
        with timed(f"start JupyterLab in {root}"):
            wait_until_serving(server, f"{url}/api/status?token={token}", log)
        yield url, token
    finally:
        server.terminate()  # the server shuts its kernels down
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def open_lab(browser, url, token):
    """JupyterLab in a browser context of its own."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(60_000)
    with timed(f"load JupyterLab from {url}"):
        return Lab(context.new_page(), url, token)


def check_page(lab, request):
    """Fail the test when its page logged errors or reached beyond its server; keep a screenshot of a failure."""
    if getattr(request.node, "failed", False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        lab.page.screenshot(path=SCREENSHOTS / f"failed-{request.node.name.replace('/', '_')}.png")
    problems = lab.problems()
    assert not problems, "the page logged errors or reached beyond the server:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def course_server(tmp_path_factory):
    """JupyterLab on a temporary copy of the course's notebooks/ and solutions/, with the course's
    nbgrader configuration and a class folder of its own."""
    workdir = tmp_path_factory.mktemp("course-lab")
    root = workdir / "course"
    for folder in ("notebooks", "solutions"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    make_class(workdir / "class")
    config_path = f"{workdir / 'class'}{os.pathsep}{ROOT / 'autograder'}"  # the class's configuration wins
    with jupyterlab_server(root, workdir, {"JUPYTER_CONFIG_PATH": config_path}) as server:
        yield server


@pytest.fixture(scope="session")
def course_lab(browser, course_server):
    return open_lab(browser, *course_server)


@pytest.fixture
def checked(request):
    """``checked(lab)`` returns ``lab``, whose page is checked for errors after the test."""
    labs = []
    yield lambda lab: labs.append(lab) or lab
    for lab in labs:
        check_page(lab, request)


@pytest.fixture
def course(course_lab, checked):
    """The course's JupyterLab page, checked for errors after the test."""
    return checked(course_lab)


@pytest.fixture(scope="session")
def executed(course_lab):
    """``executed(path)``: the notebook at ``path`` opened in the course's JupyterLab and run. It stays
    open for the next test that asks for it, and is closed when another notebook is asked for."""
    opened = {}

    def run(path):
        if path not in opened:
            for notebook in opened.values():
                notebook.close()
            opened.clear()
            with timed(f"{path}: open, start its kernel"):
                notebook = opened[path] = course_lab.open(path)
            with timed(f"{path}: run all cells"):
                notebook.run_all()
        if opened[path].cells is None:
            pytest.fail(f"{path} did not run to its end in JupyterLab: see its first test", pytrace=False)
        return opened[path]

    return run
