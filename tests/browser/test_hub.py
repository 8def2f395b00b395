"""The class on the course's JupyterHub (`make hub`, autograder/hub_config.py), in a browser.

The hub runs on 127.0.0.1 as root, as `make hub` runs it, over a class folder of its own with three
Linux accounts made from a roster by `python -m autograder.hub users` (two students, one instructor),
logged in with their first passwords through PAM; JupyterHub reads the configuration file `python -m
autograder.hub prepare` writes into the class folder. Two students fetch chapter 1 in the Assignments tab,
answer it (one right, one with a mistake in `mse`), validate and submit; the instructor collects in
formgrader (the hub service), grades with the course's parallel grader in formgrader's terminal,
generates and releases feedback, and sees both scores; each student fetches their own feedback. Then
what a student may not do: open formgrader, read another student's files, submission or feedback from
their kernel (the filesystem and the exchange), open another user's server, log in with a wrong password.
Screenshots of the assignment list, formgrader and a feedback page land in build/screenshots/hub-*.png.

The accounts are removed at the end; the course's solutions/ gets its permissions back.
"""

import csv
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest

from conftest import ROOT

from .conftest import SCREENSHOTS, check_page
from .jupyterlab import PAGE_HELPERS, Lab, timed

from autograder.demo import submission
from autograder.hub import GRADER

CHAPTER, NOTEBOOK = "01_losses", "losses.ipynb"
INSTRUCTOR, ADA, BO = "tlhub-teach", "tlhub-ada", "tlhub-bo"
ROSTER = f"id,name,role\n{INSTRUCTOR},Tess Teacher,instructor\n{ADA},Ada Right,student\n{BO},Bo Mistake,student\n"
PROXY = ROOT / "build" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
# The answers: ada's are the reference solution; bo's mse takes absolute values (3 of chapter 1's 27 points).
WRONG_MSE = "def mse(y_pred, y):\n    return np.mean(np.abs(y_pred - y))\n"
SCORES = {ADA: 27, BO: 24}
NAMES = {ADA: "Right, Ada", BO: "Mistake, Bo"}  # as formgrader lists the roster's names: last, first


def answers(**cells):
    return submission(nbformat.read(ROOT / "notebooks" / CHAPTER / NOTEBOOK, as_version=4),
                      nbformat.read(ROOT / "solutions" / CHAPTER / NOTEBOOK, as_version=4),
                      {"base": "solution", "cells": cells})


def free_ports(count):
    """The first of ``count`` consecutive free ports on 127.0.0.1."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count < 65536 and all(port_free(first + k) for k in range(count)):
            return first
    raise RuntimeError("no free ports")


def port_free(port):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def remove_accounts(users):
    """Stop what the test's accounts run (by process id) and remove them with their homes."""
    for user in users:
        try:
            uid = pwd.getpwnam(user).pw_uid
        except KeyError:
            continue
        for process in psutil.process_iter(["uids"]):
            if process.info["uids"] and process.info["uids"].real == uid:
                try:
                    process.kill()
                except psutil.NoSuchProcess:
                    pass
        subprocess.run(["userdel", "--remove", user], capture_output=True)


def start_hub(class_dir, port, log):
    """The class's hub as `make hub` starts it: JupyterHub with the class's configuration file, on ``port``."""
    hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(class_dir / "hub" / "jupyterhub_config.py"),
                            "--ip=127.0.0.1", f"--port={port}"],
                           cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and hub.poll() is None:
        try:
            opener.open(f"http://127.0.0.1:{port}/hub/health", timeout=5).close()
            return hub
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    pytest.fail(f"the hub did not start; its log:\n{Path(log.name).read_text()[-4000:]}", pytrace=False)


def stop_hub(hub):
    hub.send_signal(signal.SIGTERM)  # the hub stops the servers and formgrader, then the proxy
    try:
        hub.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(hub.pid, signal.SIGKILL)
        hub.wait()


@pytest.fixture(scope="module")
def hub():
    """The course's hub on 127.0.0.1 over a class folder of its own.

    Yields {"url", "class_dir", "passwords", "restart"}."""
    if os.geteuid() != 0:
        pytest.fail("The hub test runs the hub as `make hub` does, as root (it creates Linux accounts and "
                    "switches to them): run it as root.", pytrace=False)
    if not PROXY.exists():
        pytest.fail(f"The hub test needs configurable-http-proxy at {PROXY}: run `make hub-install` "
                    "(it installs Node.js with apt when missing, and the proxy with npm).", pytrace=False)
    remove_accounts([INSTRUCTOR, ADA, BO])  # left by an interrupted run
    top = Path(tempfile.mkdtemp(prefix="trainlab-hub-"))
    top.chmod(0o711)  # the accounts reach the exchange through it
    class_dir = top / "class"
    class_dir.mkdir()
    (class_dir / "roster.csv").write_text(ROSTER)
    solutions = (ROOT / "solutions").stat()
    port = free_ports(4)
    log = open(top / "hub.log", "a")
    hub = None
    try:
        with timed("hub: accounts, class folder"):
            for command in ("users", "prepare"):
                subprocess.run([sys.executable, "-m", "autograder.hub", command, str(class_dir)], cwd=ROOT, check=True,
                               capture_output=True)
        with open(class_dir / "hub" / "first-passwords.csv") as f:
            passwords = {row["id"]: row["first password"] for row in csv.DictReader(f)}
        with open(class_dir / "hub" / "jupyterhub_config.py", "a") as config:  # as an instructor edits it
            config.write(f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{port + 1}'\n"
                         f"c.JupyterHub.services[0]['url'] = 'http://127.0.0.1:{port + 2}'\n"
                         f"c.JupyterHub.hub_port = {port + 3}\n"
                         # window.jupyterapp for the test's helpers
                         "c.Spawner.args = ['--LabApp.expose_app_in_browser=True']\n"
                         "c.JupyterHub.services[0]['command'].append('--LabApp.expose_app_in_browser=True')\n")
        with timed("hub: start"):
            hub = start_hub(class_dir, port, log)
        state = {"url": f"http://127.0.0.1:{port}", "class_dir": class_dir, "passwords": passwords}

        def restart():
            stop_hub(state["hub"])
            state["hub"] = start_hub(class_dir, port, log)

        state["hub"], state["restart"] = hub, restart
        yield state
    finally:
        if hub is not None:
            stop_hub(state.get("hub", hub))
        log.close()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(top / "hub.log", SCREENSHOTS / "hub.log")  # the hub's, formgrader's and the servers' log
        remove_accounts([INSTRUCTOR, ADA, BO])
        os.chown(ROOT / "solutions", solutions.st_uid, solutions.st_gid)
        (ROOT / "solutions").chmod(solutions.st_mode & 0o7777)
        shutil.rmtree(top, ignore_errors=True)


class HubLab(Lab):
    """A person's JupyterLab on the hub, reached through the login page."""

    def __init__(self, browser, origin, user, password):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(120_000)
        page = context.new_page()
        self.page, self.url, self.user, self._problems = page, origin, user, []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self._problems.append(f"uncaught exception: {error}"))
        page.on("request", self._on_request)
        log_in(page, origin, user, password)
        page.wait_for_url(f"**/user/{user}/lab**")
        page.wait_for_function("window.jupyterapp !== undefined")
        page.evaluate("window.jupyterapp.restored")
        page.evaluate(PAGE_HELPERS)

    def save_notebook(self, path, notebook):
        """Save ``notebook`` at ``path`` through the person's server, as JupyterLab saves."""
        self.page.evaluate("""async ([path, content]) => { await window.jupyterapp.serviceManager.contents.save(
                                  path, {type: 'notebook', format: 'json', content}); }""", [path, notebook])

    def run_code(self, code):
        """What ``code`` prints, run by a new kernel of the person's server (then shut down)."""
        return self.page.evaluate("""async code => {
            const kernel = await window.jupyterapp.serviceManager.kernels.startNew({name: 'python3'});
            let text = '';
            const future = kernel.requestExecute({code});
            future.onIOPub = message => { if (message.header.msg_type === 'stream') text += message.content.text;
                                          if (message.header.msg_type === 'error') text += message.content.evalue; };
            await future.done;
            await kernel.shutdown();
            return text; }""", code)


def log_in(page, origin, user, password, next_url=None):
    page.goto(f"{origin}/hub/login" + (f"?next={next_url}" if next_url else ""))
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")


def formgrader(browser, url, password):
    """Formgrader's page, the instructor logged in to the hub (no server of their own is started)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(120_000)
    page = context.new_page()
    log_in(page, url, INSTRUCTOR, password, next_url="/services/trainlab/formgrader")
    page.wait_for_url("**/services/trainlab/formgrader**")
    return page


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"hub-{name}.png", full_page=True)


def assignment_list(lab):
    lab.menu("Nbgrader", "Assignment List")
    return lab.page.locator("#released_assignments_list")


def fetch_answer_validate_submit(lab, notebook, expected):
    """In the Assignments tab: fetch chapter 1, save ``notebook`` as the answer, validate (its dialog must
    show ``expected``), submit; returns the validation dialog's text."""
    page = lab.page
    released = assignment_list(lab)
    with timed(f"hub: {lab.user} fetches"):
        released.locator(".list_item").filter(has_text=CHAPTER).get_by_role("button", name="Fetch").click()
        fetched = page.locator("#fetched_assignments_list")
        fetched.get_by_role("button", name=CHAPTER).wait_for()
    lab.save_notebook(f"{CHAPTER}/{NOTEBOOK}", notebook)
    with timed(f"hub: {lab.user} validates"):
        fetched.get_by_role("button", name=CHAPTER).click()  # shows its notebooks
        fetched.get_by_role("button", name="Validate").click()
        dialog = page.locator(".jp-Dialog")
        dialog.get_by_text("Validation Results").wait_for()
        result = dialog.inner_text()
        dialog.get_by_role("button", name="Ok").click()
    assert expected in result, result
    with timed(f"hub: {lab.user} submits"):
        fetched.locator(".list_item").filter(has_text=CHAPTER).get_by_role("button", name="Submit").click()
        page.locator("#submitted_assignments_list").get_by_text(CHAPTER).first.wait_for()
    return result


def formgrader_action(page, url, column):
    """Click chapter 1's link in the ``column`` of formgrader's Manage Assignments (collect,
    generate-feedback, release-feedback); returns the text of the success dialog, which it closes."""
    page.goto(f"{url}/services/trainlab/formgrader/manage_assignments")
    page.locator("tr").filter(has_text=CHAPTER).locator(f"td.{column} a").click()
    dialog = page.locator("#success-modal, #error-modal")
    dialog.wait_for()
    text = dialog.inner_text()
    assert dialog.get_attribute("id") == "success-modal", text
    dialog.locator(".modal-footer button").click()
    dialog.wait_for(state="detached")
    return text


@pytest.fixture
def pages_on_failure(browser, request):
    """Screenshots of every page open in ``browser`` when the test fails."""
    yield
    if getattr(request.node, "failed", False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for k, context in enumerate(browser.contexts):
            for n, page in enumerate(context.pages):
                page.screenshot(path=SCREENSHOTS / f"failed-hub-{k}-{n}.png")


def test_two_students_and_an_instructor_go_through_chapter_1_on_the_hub(browser, hub, request, pages_on_failure):
    url, class_dir, passwords = hub["url"], hub["class_dir"], hub["passwords"]
    with timed("hub: the instructor logs in to formgrader, generates and releases chapter 1"):
        page = formgrader(browser, url, passwords[INSTRUCTOR])
        formgrader_action(page, url, "assign")
        formgrader_action(page, url, "release")

    labs = {}
    for student, notebook, expected in ((ADA, answers(), "Success! Your notebook passes all the tests."),
                                        (BO, answers(mse=WRONG_MSE), "The following cell failed")):
        with timed(f"hub: {student} logs in, the server starts"):
            lab = labs[student] = HubLab(browser, url, student, passwords[student])
        fetch_answer_validate_submit(lab, json.loads(nbformat.writes(notebook)), expected)
        if student == ADA:
            screenshot(lab.page, "assignment-list")

    with timed("hub: formgrader collects"):
        formgrader_action(page, url, "collect")
    for student in (ADA, BO):
        assert (class_dir / "submitted" / student / CHAPTER / NOTEBOOK).is_file()

    with timed("hub: the parallel grader, from formgrader's terminal"):
        status = Path(pwd.getpwnam(GRADER).pw_dir) / "autograde.status"  # its exit status, written by the shell
        status.unlink(missing_ok=True)
        terminal = page.context.new_page()
        # a workspace of its own: JupyterLab sends a page to another workspace (a navigation) when one
        # of the origin's pages holds the default one
        terminal.goto(f"{url}/services/trainlab/lab/workspaces/grading")
        terminal.wait_for_function("window.jupyterapp !== undefined")
        terminal.evaluate("window.jupyterapp.restored")
        terminal.evaluate("""async command => {  // File > New > Terminal, and the command typed into it
            const widget = await window.jupyterapp.commands.execute('terminal:create-new');
            const session = widget.content.session;
            while (session.connectionStatus !== 'connected') await new Promise(done => setTimeout(done, 100));
            session.send({type: 'stdin', content: [command + '\\n']}); }""",
                          f"python autograder/parallel_autograde.py {CHAPTER}; echo $? > ~/autograde.status")
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not status.exists():
            time.sleep(1)
    logs = "\n".join(f"{log}:\n{log.read_text()[-2000:]}" for log in class_dir.glob("logs/autograde/*.log"))
    assert status.exists() and status.read_text().strip() == "0", f"the grader failed or took 10 minutes:\n{logs}"
    state = class_dir / "autograde_state.json"
    outcome = json.loads(state.read_text())
    assert {key: entry["status"] for key, entry in outcome.items()} == {
        f"{CHAPTER}/{student}": "graded" for student in (ADA, BO)}, f"{outcome}\n{logs}"
    assert pwd.getpwuid(state.stat().st_uid).pw_name == GRADER and state.stat().st_mode & 0o077 == 0

    with timed("hub: formgrader generates and releases feedback"):
        formgrader_action(page, url, "generate-feedback")
        formgrader_action(page, url, "release-feedback")
    page.goto(f"{url}/services/trainlab/formgrader/manage_students")
    for student, score in SCORES.items():
        row = page.locator("tr").filter(has_text=student)
        assert f"{score} / 27" in row.inner_text() and NAMES[student] in row.inner_text(), row.inner_text()
    screenshot(page, "formgrader")

    for student, score in SCORES.items():
        lab = labs[student]
        with timed(f"hub: {student} fetches feedback"):
            assignment_list(lab)
            submitted = lab.page.locator("#submitted_assignments_list")
            submitted.get_by_role("button", name="Fetch Feedback").first.click()
            home = Path(pwd.getpwnam(student).pw_dir)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not list(home.glob(f"{CHAPTER}/feedback/*/*.html")):
                time.sleep(0.5)
        pages = list(home.glob(f"{CHAPTER}/feedback/*/*.html"))
        assert [p.name for p in pages] == ["losses.html"], pages
        feedback = lab.page.context.new_page()
        feedback.goto(f"{url}/user/{student}/files/{pages[0].relative_to(home)}")
        text = feedback.inner_text("body")
        assert f"Score: {score}" in text or f"{score} / 27" in text or f"{score}.0 / 27" in text, text[:500]
        assert ({ADA, BO} - {student}).pop() not in text  # the score above is theirs: 27 and 24 differ
        # the chapter's math is set by the MathJax of the student's own server (jupyter_server_mathjax)
        feedback.wait_for_function("window.MathJax !== undefined && MathJax.Hub.queue.pending === 0 && "
                                   "MathJax.Hub.queue.running === 0 && document.querySelectorAll('.MathJax').length > 10")
        # (not all of it: an equation with "<" in a Markdown cell the student could edit stays TeX, its "<"
        # escaped twice, by SanitiseSubmissionHtml and by nbconvert)
        assert "\\mathbf{w}^\\top\\mathbf{x}" not in feedback.inner_text("body")
        if student == BO:
            screenshot(feedback, "feedback")
    for lab in labs.values():
        check_page(lab, request)


# What bo's kernel tries, each as `name: expression`; only his own notebook may be read.
PROBES = """
import json, os
def probe(action):
    try:
        action()
        return "allowed"
    except PermissionError:
        return "denied"
    except Exception as error:
        return f"{type(error).__name__}: {error}"
print(json.dumps({name: probe(action) for name, action in {
%s
}.items()}))
"""


def test_a_student_may_not_reach_what_is_not_theirs(browser, hub, request, pages_on_failure):
    """After the class above: bo's kernel, bo's browser and a wrong password, each denied."""
    url, class_dir, passwords = hub["url"], hub["class_dir"], hub["passwords"]
    ada_home, bo_home = (Path(pwd.getpwnam(user).pw_dir) for user in (ADA, BO))
    exchange = class_dir / "exchange" / "trainlab"
    ada_feedback = next(ada_home.glob(f"{CHAPTER}/feedback/*/losses.html"), None)
    if ada_feedback is None:
        pytest.fail("this test needs the class of the test above: run the whole module", pytrace=False)
    bo = HubLab(browser, url, BO, passwords[BO])

    attempts = {
        "bo's own notebook": f"open({str(bo_home / CHAPTER / NOTEBOOK)!r}).read()",
        "ada's home": f"os.listdir({str(ada_home)!r})",
        "ada's notebook": f"open({str(ada_home / CHAPTER / NOTEBOOK)!r}).read()",
        "ada's feedback in her home": f"open({str(ada_feedback)!r}).read()",
        "the submissions in the exchange": f"os.listdir({str(exchange / 'inbound')!r})",
        "the feedback in the exchange": f"os.listdir({str(exchange / 'feedback')!r})",
        "ada's collected submission": f"open({str(class_dir / 'submitted' / ADA / CHAPTER / NOTEBOOK)!r}).read()",
        "ada's graded notebook": f"open({str(class_dir / 'autograded' / ADA / CHAPTER / NOTEBOOK)!r}).read()",
        "ada's feedback in the class": f"open({str(class_dir / 'feedback' / ADA / CHAPTER / 'losses.html')!r}).read()",
        "the gradebook": f"open({str(class_dir / 'gradebook.db')!r}, 'rb').read()",
        "the solutions": f"open({str(ROOT / 'solutions' / CHAPTER / NOTEBOOK)!r}).read()",
        "the first passwords": f"open({str(class_dir / 'hub' / 'first-passwords.csv')!r}).read()",
        "the hub's database": f"open({str(class_dir / 'hub' / 'state' / 'jupyterhub.sqlite')!r}, 'rb').read()",
    }
    for path in (class_dir / "submitted" / ADA / CHAPTER / NOTEBOOK, class_dir / "autograded" / ADA / CHAPTER / NOTEBOOK,
                 class_dir / "feedback" / ADA / CHAPTER / "losses.html", class_dir / "hub" / "state" / "jupyterhub.sqlite"):
        assert path.is_file(), path  # what bo's kernel is denied exists
    code = PROBES % "\n".join(f"    {name!r}: lambda: {expression}," for name, expression in attempts.items())
    with timed("hub: bo's kernel tries to read what is not his"):
        outcome = json.loads(bo.run_code(code))
    assert outcome == {name: "allowed" if name == "bo's own notebook" else "denied" for name in attempts}, outcome

    page = bo.page.context.new_page()
    for where in ("/services/trainlab/formgrader", "/services/trainlab/api/contents/solutions",
                  f"/user/{ADA}/lab", f"/user/{ADA}/api/contents/{CHAPTER}/{NOTEBOOK}?content=1"):
        response = page.goto(url + where)
        assert response.status == 403, (where, response.status, page.url)
    page.close()

    stranger = browser.new_context()
    page = stranger.new_page()
    log_in(page, url, ADA, passwords[ADA] + "x")
    page.get_by_text("Invalid username or password").wait_for()
    page.goto(f"{url}/user/{ADA}/lab")
    assert page.url.startswith(f"{url}/hub/login"), page.url
    stranger.close()
    check_page(bo, request)


def test_the_hub_restarts_with_its_state(browser, hub, request, pages_on_failure):
    """After a restart: the accounts and sessions (the cookie secret is kept), the homes, the gradebook."""
    url, class_dir, passwords = hub["url"], hub["class_dir"], hub["passwords"]
    lab = HubLab(browser, url, ADA, passwords[ADA])
    context = lab.page.context
    with timed("hub: restart"):
        hub["restart"]()
    page = context.new_page()
    page.goto(f"{url}/hub/home")  # still logged in: no login page
    assert page.url == f"{url}/hub/home", page.url
    with timed("hub: ada's server starts again"):
        page.goto(f"{url}/hub/spawn")
        page.wait_for_url(f"**/user/{ADA}/lab**")
        listing = page.request.get(f"{url}/user/{ADA}/api/contents/{CHAPTER}").json()
    assert NOTEBOOK in [item["name"] for item in listing["content"]], listing
    teacher = formgrader(browser, url, passwords[INSTRUCTOR])
    teacher.goto(f"{url}/services/trainlab/formgrader/manage_students")
    for student, score in SCORES.items():
        row = teacher.locator("tr").filter(has_text=student)
        assert f"{score} / 27" in row.inner_text(), row.inner_text()
