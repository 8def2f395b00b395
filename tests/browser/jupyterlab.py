"""JupyterLab driven as a user drives it: its menus, notebooks and widgets, seen in screenshots."""

import io
import re
import time
from contextlib import contextmanager

import numpy as np
from PIL import Image

# What each step took, printed at the end of the test run (see conftest.pytest_terminal_summary).
TIMES = []

# JupyterLab asks its server for news and updates, which the server fetches from the web.
NEWS_REQUESTS = re.compile(r"/lab/api/(news|update)\b")

# Helpers evaluated in the page: JupyterLab's application is window.jupyterapp
# (--LabApp.expose_app_in_browser), a notebook's panel is found by its path.
PAGE_HELPERS = """
window.course = {
  panel(path) {
    for (const widget of window.jupyterapp.shell.widgets('main')) {
      if (widget.context && widget.context.path === path) return widget;
    }
    throw new Error(`${path} is not open`);
  },
  ready(path) {
    const session = this.panel(path).sessionContext;
    return session.isReady && session.kernelDisplayStatus === 'idle';
  },
  idle(path) {  // the kernel is idle and no cell shows [*]
    return this.ready(path) && !this.waiting(path).length;
  },
  // idle, and the first code cell from `start` on has run
  done(path, start) {
    const first = this.panel(path).content.widgets.slice(start).find(cell => cell.model.type === 'code');
    return this.idle(path) && first.model.executionCount !== null;
  },
  waiting(path) {  // the cells that show [*]
    return this.panel(path).content.widgets.map((cell, index) => [cell, index])
      .filter(([cell]) => cell.node.querySelector('.jp-InputPrompt')?.textContent.includes('[*]'))
      .map(([, index]) => index);
  },
  status(path) {
    const panel = this.panel(path);
    return {kernel: panel.sessionContext.kernelDisplayStatus, waiting: this.waiting(path),
            active: panel.content.activeCellIndex};
  },
  // Run > Run Selected Cell and All Below from cell `index` (one round trip, not two clicks);
  // resolves once those cells have run, or after `seconds`
  async runFrom(path, index, seconds) {
    const notebook = this.panel(path).content;
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    // JupyterLab disables "... and All Below" on the last cell
    const last = index === notebook.widgets.length - 1;
    const run = window.jupyterapp.commands.execute(last ? 'notebook:run-cell' : 'notebook:run-all-below');
    await Promise.race([run, new Promise(resolve => setTimeout(resolve, seconds * 1000))]);
  },
  // each cell: whether it is code, an nbgrader test cell (graded, not a solution), its source, its errors
  // and what it wrote to stderr
  cells(path) {
    return this.panel(path).content.widgets.map((cell, index) => {
      const outputs = cell.model.type === 'code' ? cell.model.outputs.toJSON() : [];
      const nbgrader = cell.model.getMetadata('nbgrader') ?? {};
      return {index, code: cell.model.type === 'code', count: cell.model.executionCount ?? null,
              test: cell.model.type === 'code' && !!nbgrader.grade && !nbgrader.solution,
              id: nbgrader.grade_id ?? null, source: cell.model.sharedModel.getSource(),
              errors: outputs.filter(o => o.output_type === 'error').map(o => ({name: o.ename, value: o.evalue})),
              stderr: outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr').map(o => o.text)};
    });
  },
  // widget outputs in the notebook's model, and the views the page shows for them; `missing` lists the
  // cells with fewer views than widget outputs, and each of them is scrolled to, as a reader would
  widgets(path) {
    const panel = this.panel(path), node = panel.content.node, missing = [];
    let outputs = 0, views = 0;
    panel.content.widgets.forEach((cell, index) => {
      if (cell.model.type !== 'code') return;
      const wanted = cell.model.outputs.toJSON()
        .filter(o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length;
      const shown = [...cell.node.querySelectorAll('.jp-OutputArea-output.lm-Panel')]
        .filter(output => output.querySelector(':scope > .lm-Widget')).length;
      outputs += wanted; views += shown;
      if (shown < wanted) { missing.push(index); cell.node.scrollIntoView({block: 'center'}); }
    });
    return {
      outputs, views, missing,
      loading: node.textContent.split('Loading widget...').length - 1,
      failed: node.textContent.split('Error displaying widget').length - 1,
    };
  },
};
"""


@contextmanager
def timed(step):
    """Record how long ``step`` took."""
    start = time.perf_counter()
    try:
        yield
    finally:
        TIMES.append((step, time.perf_counter() - start))


class Lab:
    """A JupyterLab page; collects its console errors, uncaught exceptions and requests beyond the server."""

    def __init__(self, page, url, token):
        self.page, self.url, self._problems = page, url, []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self._problems.append(f"uncaught exception: {error}"))
        page.on("request", self._on_request)
        page.goto(f"{url}/lab?token={token}")
        page.wait_for_function("window.jupyterapp !== undefined")
        page.evaluate("window.jupyterapp.restored")  # a promise: waits for the restored layout
        page.evaluate(PAGE_HELPERS)

    def _on_console(self, message):  # no error is tolerated: none is logged by the course today
        if message.type == "error":
            self._problems.append(f"console error: {message.text} at {message.location}")

    def _on_request(self, request):
        if not request.url.startswith((self.url, "data:", "blob:")) or NEWS_REQUESTS.search(request.url):
            self._problems.append(f"request: {request.method} {request.url}")

    def problems(self):
        """What went wrong in the page since the last call."""
        problems, self._problems = self._problems, []
        return problems

    def menu(self, *labels):
        """Click through the main menu, e.g. ``menu("Run", "Run All Cells")``."""
        top, *items = labels
        self.page.locator("#jp-MainMenu .lm-MenuBar-item").get_by_text(top, exact=True).click()
        for item in items:
            self.page.locator(".lm-Menu-content").last.get_by_text(item, exact=True).click()

    def open(self, path, timeout=120):
        """Open the notebook at ``path`` (relative to the server's root) and wait for its kernel."""
        self.page.evaluate("async path => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }", path)
        self.page.wait_for_function("path => window.course.ready(path)", arg=path, timeout=timeout * 1000)
        return Notebook(self, path)


class Notebook:
    """A notebook open in JupyterLab."""

    def __init__(self, lab, path):
        self.lab, self.page, self.path = lab, lab.page, path
        panel_id = self.page.evaluate("path => window.course.panel(path).id", path)
        self.panel = self.page.locator(f"[id='{panel_id}']")
        self.cells = None  # the code cells' states once run_all has run them

    def state(self):
        """Every cell: index, whether code, execution count, errors ({name, value})."""
        return self.page.evaluate("path => window.course.cells(path)", self.path)

    def run_all(self, timeout=120):
        """Run > Run All Cells, and wait until it is done. After an error the kernel skips the cells it
        has received, so then run again from the first cell that did not run, as a student would with
        Run > Run Selected Cell and All Below. Returns the code cells once every one has run."""
        self.lab.menu("Run", "Run All Cells")
        self._wait_until("path => window.course.done(path, 0)", timeout)
        start = retries = 0
        while True:
            code = [cell for cell in self.state() if cell["code"]]
            skipped = [cell["index"] for cell in code if cell["count"] is None]
            if not skipped:
                self.cells = code
                return code
            if skipped[0] == start:  # the kernel was still skipping what it had received before
                retries += 1
                assert retries <= 3, f"the kernel skipped cell {start} {retries} times"
            elif not [cell for cell in code if start <= cell["index"] < skipped[0]][-1]["errors"]:
                # the cell above raised nothing: the run goes on (the kernel looked idle between two cells)
                self._wait_until(f"path => window.course.done(path, {skipped[0]})", timeout)
                continue
            start = skipped[0]
            self.page.evaluate("([path, index, seconds]) => window.course.runFrom(path, index, seconds)",
                               [self.path, start, timeout])
            self._wait_until("path => window.course.idle(path)", timeout)

    def _wait_until(self, condition, timeout):
        """Wait until ``condition(path)`` holds in the page; fail with the notebook's status if it never does."""
        outcome = self.page.wait_for_function(
            f"([path, until]) => ({condition})(path) ? 'held' : Date.now() > until && window.course.status(path)",
            arg=[self.path, (time.time() + timeout) * 1000], polling=100, timeout=(timeout + 10) * 1000).json_value()
        assert outcome == "held", f"{condition} did not hold in {timeout} s: {outcome}"

    def widgets(self, timeout=30):
        """Counts of widget outputs, their views, and "Loading widget..." and "Error displaying widget"
        texts, and the cells still missing a view, once every output has its view (or after ``timeout``
        seconds)."""
        self.page.wait_for_function("""([path, until]) => { const w = window.course.widgets(path);
                                       return (w.views === w.outputs && !w.loading) || Date.now() > until; }""",
                                    arg=[self.path, (time.time() + timeout) * 1000], polling=100,
                                    timeout=(timeout + 10) * 1000)
        return self.page.evaluate("path => window.course.widgets(path)", self.path)

    def output(self, text):
        """The cell output that shows ``text``."""
        return self.panel.locator(".jp-OutputArea-output").filter(has_text=text)

    def close(self):
        """Shut the kernel down and close the notebook without saving."""
        self.page.evaluate("""async path => { const panel = window.course.panel(path);
                                              await panel.sessionContext.shutdown(); panel.dispose(); }""", self.path)


# A click focuses the figure's canvas; its focus ring is not part of the figure.
NO_FOCUS_RING = ":focus, :focus-visible { outline: none !important; }"


def screenshot(locator):
    """A PNG screenshot of ``locator`` without focus rings."""
    return locator.screenshot(style=NO_FOCUS_RING)


def pixels(png):
    """A PNG screenshot as an array of RGB pixels."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def settled_screenshot(locator, timeout=20, interval=0.25):
    """A screenshot of ``locator`` once two in a row are equal and it is not one colour; None if never."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        shot = screenshot(locator)
        if shot == last and np.ptp(pixels(shot)) > 0:
            return shot
        last = shot
        time.sleep(interval)
    return None


def changed_screenshot(locator, before, timeout=20, interval=0.1):
    """The first screenshot of ``locator`` that differs from ``before``; None if none did in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shot = screenshot(locator)
        if shot != before:
            return shot
        time.sleep(interval)
    return None


def changed_text(locator, before, timeout=20, interval=0.1):
    """The text of ``locator`` once it differs from ``before``; ``before`` if it never did in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = locator.inner_text()
        if text != before:
            return text
        time.sleep(interval)
    return before
