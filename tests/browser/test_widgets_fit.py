"""The course's widgets on a student's screen: they fit the notebook's width, follow the dark theme,
and the quiz is operable by keyboard and screen reader and keeps its answers.

One small notebook shows the race, the trace, the deep-net widget, live curves and chapter 1's quiz in a
JupyterLab of its own. Screenshots of each widget at 900 pixels, light and dark, go to
build/screenshots/widget-<name>-900-<theme>.png.
"""

import json
import re
import urllib.request

import nbformat
import pytest

from trainlab.canvas import FEEDBACK_COLORS

from conftest import ROOT

from .conftest import SCREENSHOTS, jupyterlab_server, open_lab
from .jupyterlab import changed_text, pixels, timed
from .test_lab_notebooks import first_choice_question

PATH = "widgets.ipynb"
WIDGETS = ["race", "trace", "deepnet", "curves", "quiz"]  # one cell each, in this order
CELLS = [
    "import numpy as np\nfrom trainlab.race import Race\nRace(steps=60)",
    "from trainlab.trace import Node, TraceView\n"
    "TraceView([Node('v1', 'x1', (), 1.5, 1.0, 0.5), Node('v2', 'x2', (), 0.5, 0.0, 1.5),\n"
    "           Node('v3', 'v1 · v2', (0, 1), 0.75, 0.5, 1.0)], title='f(x1, x2) = x1 · x2 at (1.5, 0.5)')",
    "from trainlab.deepnet import DeepNetWidget\nrng = np.random.default_rng(0)\n"
    "DeepNetWidget(rng.normal(size=(64, 10)), rng.integers(0, 3, 64), depth=8, width=32)",
    "from trainlab.livecurves import LiveCurves\ncurves = LiveCurves(5)\nfor epoch in range(1, 6):\n"
    "    seen = np.arange(1, epoch + 1)\n"
    "    curves.update({'train_loss': list(2 / seen), 'test_accuracy': list(0.6 + 0.05 * seen)})",
    "from trainlab.quiz import Quiz\nQuiz.load('01_losses')",
]
CHAPTER = "01_losses"
# what a student must be able to see and reach: plots, sliders with handle and value, buttons, inputs
CONTROLS = (".jupyter-matplotlib-canvas-div, .widget-image, .jp-RenderedImage img, .noUi-handle, .widget-readout, "
            ".widget-play button, .widget-dropdown select, .widget-toggle-button, button, input")

# The output of each widget (the curves are an image, after the hidden output holding their style).
OUTPUTS = (".jp-OutputArea-output:has(.trainlab-widget), "
           ".jp-OutputArea-child:has(.trainlab-curves) + .jp-OutputArea-child .jp-OutputArea-output")
CURVES = ".jp-OutputArea-child:has(.trainlab-curves) + .jp-OutputArea-child img"

# Per widget output (in cell order): the controls that lie outside the part of the output the student
# can see (the output area and the notebook's scroller), and the widths of the notebook and the output.
LAYOUT = """([path, outputs, selectors]) => {
  const panel = window.course.panel(path);
  const scroller = panel.content.node.closest('.jp-WindowedPanel-outer') ?? panel.content.node;
  const view = scroller.getBoundingClientRect();
  return [...panel.content.node.querySelectorAll(outputs)].map(output => {
      const area = output.getBoundingClientRect();
      const left = Math.max(view.left, area.left), right = Math.min(view.right, area.right);
      const shown = [...output.querySelectorAll(selectors)].filter(e => e.getClientRects().length);
      const outside = shown.filter(e => { const r = e.getBoundingClientRect();
                                          return r.width === 0 || r.left < left - 0.5 || r.right > right + 0.5; });
      return {controls: shown.length, outside: outside.map(e => e.className || e.tagName),
              notebook: Math.round(view.width), output: Math.round(area.width)};
    });
}"""

# The text colour of ``selector`` and the colour of the first opaque background behind it.
COLORS = """selector => {
  const element = document.querySelector(selector);
  let behind = element, background = 'rgba(0, 0, 0, 0)';
  while (behind && /rgba\\(.*, 0\\)|transparent/.test(background)) {
    background = getComputedStyle(behind).backgroundColor; behind = behind.parentElement; }
  return [getComputedStyle(element).color, background];
}"""


def luminance(css):
    """WCAG relative luminance of a CSS rgb()/rgba() colour."""
    r, g, b = (int(float(v)) / 255 for v in re.findall(r"[\d.]+", css)[:3])
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground, background):
    high, low = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """JupyterLab on a folder holding the widgets' notebook, in a browser context of its own."""
    root = tmp_path_factory.mktemp("widgets")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(notebook, root / PATH)
    with jupyterlab_server(root, tmp_path_factory.mktemp("widgets-lab"), {}) as server:
        yield open_lab(browser, *server), root


@pytest.fixture(scope="module")
def shown(lab):
    """The notebook, run, every widget rendered and its canvases drawn."""
    lab, _ = lab
    notebook = lab.open(PATH)
    with timed("widgets notebook: run all"):
        cells = notebook.run_all()
    assert not [cell["errors"] for cell in cells if cell["errors"]]
    widgets = notebook.widgets()
    assert widgets["views"] == widgets["outputs"] == len(WIDGETS) - 1 and not widgets["failed"], widgets  # not curves
    lab.page.wait_for_function("""() => [...document.querySelectorAll('.jupyter-matplotlib-canvas-div canvas')]
                                  .filter(c => c.width > 1).length >= 3""")  # race: 2, trace: 1
    return notebook


def layout(notebook, width, sidebar):
    page = notebook.page
    page.set_viewport_size({"width": width, "height": 1000})
    page.evaluate("open => open ? window.jupyterapp.shell.activateById('filebrowser') "
                  ": window.jupyterapp.shell.collapseLeft()", sidebar)
    page.wait_for_timeout(400)  # the panels resize, the boxes wrap
    return dict(zip(WIDGETS, page.evaluate(LAYOUT, [notebook.path, OUTPUTS, CONTROLS]), strict=True))


def set_theme(page, theme):
    page.evaluate("theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
    page.wait_for_function("light => document.body.dataset.jpThemeLight === light",
                           arg="false" if "Dark" in theme else "true")
    page.wait_for_timeout(300)


@pytest.mark.parametrize("width, sidebar", [(900, True), (1400, False)])
def test_every_control_and_both_plots_are_in_the_visible_area(shown, width, sidebar):
    widgets = layout(shown, width, sidebar)
    for name, seen in widgets.items():
        assert seen["controls"] >= (1 if name == "curves" else 3) and not seen["outside"], (
            f"{name} at {width} px{' with the sidebar open' if sidebar else ''} (notebook {seen['notebook']} px): "
            f"controls outside the visible area: {seen['outside']}")
    race = shown.output("Click on the map to start the race")
    assert race.locator(".jupyter-matplotlib-canvas-div").count() == 2  # the map and the losses
    if width == 900:
        screenshots(shown, "light")


def screenshots(notebook, theme):
    """Each widget at 900 pixels with the sidebar open, in a window tall enough to show it whole."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    notebook.page.set_viewport_size({"width": 900, "height": 2000})
    notebook.page.wait_for_timeout(400)
    for name, output in zip(WIDGETS, notebook.panel.locator(OUTPUTS).all(), strict=True):
        output.scroll_into_view_if_needed()
        output.screenshot(path=SCREENSHOTS / f"widget-{name}-900-{theme}.png")
    notebook.page.set_viewport_size({"width": 900, "height": 1000})


def test_the_narrowest_notebook_each_widget_fits(shown, capsys):
    """Measures, for the report, the narrowest notebook in which each widget shows all its controls;
    fails when one does not fit a notebook of 700 pixels."""
    fits, narrowest = {name: [] for name in WIDGETS}, {}
    for width in range(1400, 449, -50):
        for name, seen in layout(shown, width, False).items():
            fits[name].append((seen["notebook"], not seen["outside"]))
    for name, rows in fits.items():
        fitting = [notebook for notebook, ok in rows if ok]
        narrowest[name] = min(fitting) if fitting else None
        assert all(ok for notebook, ok in rows if notebook >= 700), f"{name} does not fit: {rows}"
    with capsys.disabled():
        print(f"\nnarrowest notebook width (px) at which every control fits: {json.dumps(narrowest)}")
    layout(shown, 1400, False)


def quiz_question(notebook, number):
    quiz = notebook.panel.locator(".trainlab-quiz")
    return quiz.locator(":scope > .widget-vbox").nth(number - 1)


def answer(question, letter):
    feedback = question.locator(".widget-htmlmath").last
    before = feedback.inner_text()
    question.get_by_role("radio").nth(ord(letter) - ord("a")).check()
    question.get_by_role("button", name="Check").click()
    return changed_text(feedback, before)


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_quiz_feedback_has_4_5_to_1_contrast_and_figures_follow_the_theme(shown, theme, capsys):
    page = shown.page
    layout(shown, 900, True)
    set_theme(page, theme)
    number, right, wrong = first_choice_question(CHAPTER)
    question = quiz_question(shown, number)
    ratios = {}
    for letter, kind in ((wrong, "wrong"), (right, "correct")):
        assert answer(question, letter).startswith("Not quite" if kind == "wrong" else "Correct!")
        color, background = page.evaluate(COLORS, f".trainlab-quiz .trainlab-{kind}")
        ratios[kind] = round(contrast(color, background), 2)
    with capsys.disabled():
        print(f"\n{theme}: quiz feedback contrast {ratios}")
    assert min(ratios.values()) >= 4.5, ratios
    dark = "Dark" in theme
    expected = FEEDBACK_COLORS["dark" if dark else "light"]["correct"]
    assert page.evaluate(COLORS, ".trainlab-quiz .trainlab-correct")[0] == "rgb({}, {}, {})".format(
        *(int(expected[i:i + 2], 16) for i in (1, 3, 5)))
    filters = page.evaluate("selector => [...document.querySelectorAll(selector)].map(e => getComputedStyle(e).filter)",
                            f".trainlab-figure canvas, .trainlab-figure img, {CURVES}")
    assert filters and all(("invert" in f) == dark for f in filters), filters  # a dark figure under a dark theme
    curves = shown.panel.locator(CURVES)
    curves.scroll_into_view_if_needed()
    brightness = pixels(curves.screenshot()).mean()  # the curves as the student sees them, filter included
    assert brightness < 64 if dark else brightness > 192, f"the curves' mean brightness is {brightness:.0f} of 255"
    if dark:
        screenshots(shown, "dark")
        set_theme(page, "JupyterLab Light")


def test_the_quiz_is_one_labelled_radio_group_per_question_with_one_tab_stop(shown):
    page = shown.page
    layout(shown, 1400, False)
    number, right, _ = first_choice_question(CHAPTER)
    question = quiz_question(shown, number)
    snapshot = question.aria_snapshot()
    prompt = question.locator(".widget-htmlmath").first.inner_text().splitlines()[0]
    assert re.search(rf'- radiogroup "{re.escape(prompt[:30])}', snapshot), snapshot
    options = question.get_by_role("radio")
    assert options.count() >= 2 and re.search(r'- \'?radio "b\) \S', snapshot), snapshot  # named by its option

    options.first.focus()
    page.keyboard.press("ArrowRight")  # within the group the arrows move the choice
    assert options.nth(1).is_checked() and page.evaluate("document.activeElement.value") == "b"
    page.keyboard.press("Tab")  # one tab stop per group: next comes Check
    assert page.evaluate("document.activeElement.textContent") == "Check"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
    assert float(outline.rstrip("px")) >= 2, f"the focused Check button's outline is {outline}"


def test_enter_checks_a_numeric_or_text_answer(shown):
    kinds = shown.page.evaluate("() => [...document.querySelectorAll('.trainlab-quiz .trainlab-answer-row')]"
                                ".map(row => row.querySelector('input[type=text]') ? 'text' : 'choice')")
    number = kinds.index("text") + 1
    question = quiz_question(shown, number)
    feedback = question.locator(".widget-htmlmath").last
    box = question.get_by_role("textbox")
    assert box.get_attribute("aria-labelledby")  # labelled by the question
    before = feedback.inner_text()
    box.fill("42")
    box.press("Enter")
    assert changed_text(feedback, before) != before, "Enter did not check the answer"


def test_answers_come_back_after_a_restart_and_a_reload_says_to_run_the_cell_again(shown, lab):
    lab, root = lab
    page = shown.page
    number, right, _ = first_choice_question(CHAPTER)
    assert answer(quiz_question(shown, number), right).startswith("Correct!")
    assert json.loads((root / f".quiz_{CHAPTER}.json").read_text())["answers"][str(number)] == right

    with timed("widgets notebook: restart the kernel, run the quiz again"):
        page.evaluate("path => window.course.panel(path).sessionContext.session.kernel.restart()", PATH)
        page.wait_for_function("path => window.course.ready(path)", arg=PATH)
        page.evaluate("([path, index]) => window.course.runFrom(path, index, 60)", [PATH, len(CELLS) - 1])
        page.wait_for_function("path => window.course.idle(path)", arg=PATH)
    question = quiz_question(shown, number)
    assert question.get_by_role("radio").nth(ord(right) - ord("a")).is_checked()
    assert question.locator(".widget-htmlmath").last.inner_text().startswith("Correct!")
    note = shown.panel.locator(".trainlab-rerun")
    assert not note.is_visible()  # hidden while the quiz is live

    with timed("widgets notebook: restart, save, reload the page"):
        page.evaluate("path => window.course.panel(path).sessionContext.session.kernel.restart()", PATH)
        page.evaluate("path => window.course.panel(path).context.save()", PATH)
        page.reload()
        page.wait_for_function("window.jupyterapp !== undefined")
        page.evaluate("window.jupyterapp.restored")
        page.evaluate(lab_helpers())
        reopened = lab.open(PATH)
    note = reopened.panel.locator(".trainlab-rerun")
    note.wait_for()
    assert "run this cell again" in note.inner_text() and note.is_visible()


def lab_helpers():
    from .jupyterlab import PAGE_HELPERS

    return PAGE_HELPERS


def test_a_released_notebook_opens_clean(lab):
    """JupyterLab writes the kernel's language_info into a notebook when its kernel starts: the notebook shows
    as unsaved unless it carried that already, as the release writes it (autograder/release.py). A notebook
    with the short language_info it had before shows that the test sees the difference."""
    lab, root = lab
    released = json.loads((ROOT / "notebooks" / CHAPTER / "losses.ipynb").read_text())
    short = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    short.metadata.update(kernelspec=released["metadata"]["kernelspec"],
                          language_info={"name": "python", "version": "3.11"})
    (root / "released.ipynb").write_text(json.dumps(released))
    nbformat.write(short, root / "short.ipynb")
    dirty = {}
    for name in ("released.ipynb", "short.ipynb"):
        opened = lab.open(name)
        lab.page.wait_for_function("p => window.course.panel(p).model.getMetadata('language_info').mimetype",
                                   arg=name)
        lab.page.wait_for_timeout(300)  # the document's dirty flag follows the model's change
        dirty[name] = lab.page.evaluate("""p => [window.course.panel(p).model.dirty,
                                                 window.course.panel(p).title.className.includes('jp-mod-dirty')]""", name)
        opened.close()
    assert dirty == {"released.ipynb": [False, False], "short.ipynb": [True, True]}, (
        f"{dirty}; the release's Python is {released['metadata']['language_info']['version']}: "
        "on another patch version run `make release` here")
