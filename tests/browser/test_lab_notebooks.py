"""Every notebook of the course runs in a real JupyterLab: a solution notebook passes its tests, a student
notebook's visible tests fail cleanly at the missing code; its widgets render and respond to the user."""

import json
import runpy
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT
from trainlab.quiz import LETTERS, shuffle

from .conftest import NOTEBOOKS, SCREENSHOTS
from .jupyterlab import changed_screenshot, changed_text, pixels, settled_screenshot, timed

STUDENT_NOTEBOOKS = [path for path in NOTEBOOKS if path.startswith("notebooks/")]
# the solution notebooks that show a trainlab.race widget
RACES = [path for path in NOTEBOOKS if path.startswith("solutions/") and "Race(" in (ROOT / path).read_text()]


def chapter(path):
    return Path(path).parent.name


def test_jupyterlab_is_set_never_to_fetch_news(course_server):
    """The Makefile's overrides.json is in effect (the page's requests are watched in every test)."""
    url, token = course_server
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{url}/lab/api/settings/@jupyterlab/apputils-extension:notification?token={token}") as reply:
        setting = json.load(reply)
    defaults = {key: value.get("default") for key, value in setting["schema"]["properties"].items()}
    effective = {**defaults, **setting["settings"]}
    assert (effective["fetchNews"], effective["checkForUpdates"]) == ("false", False), (
        f"JupyterLab would fetch news: {effective}; `make install` writes "
        ".venv/share/jupyter/lab/settings/overrides.json to prevent it")


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_and_every_widget_renders(notebook, course, executed):
    ran = executed(notebook)
    errors = {cell["index"]: cell["errors"] for cell in ran.cells if cell["errors"]}
    tests = [cell for cell in ran.cells if cell["test"]]
    assert tests, "the notebook has no test cells"
    if notebook.startswith("solutions/"):  # every test passes, quietly
        assert not errors, f"cells raised: {errors}"
        noisy = {cell["id"]: cell["stderr"] for cell in tests if cell["stderr"]}
        assert not noisy, f"test cells wrote to stderr: {noisy}"
    else:  # the exercises are not done yet: each visible test fails at the missing code, and only there
        code = [cell for cell in ran.cells if cell["code"]]
        assert not code[0]["errors"], "the set-up cell must run in the student notebook"
        assert not code[-1]["errors"], "the quiz must run in the student notebook"
        visible = [cell for cell in tests if cell["source"].strip() and not all(
            line.startswith("#") for line in cell["source"].strip().splitlines())]
        wrong = {cell["id"]: [error["name"] for error in cell["errors"]] for cell in visible}
        assert visible and all(names == ["NotImplementedError"] for names in wrong.values()), (
            f"every visible test should fail with NotImplementedError: {wrong}")
        others = {i: e for i, e in errors.items() if [error["name"] for error in e] != ["NotImplementedError"]}
        assert not others, f"cells raised other errors than NotImplementedError: {others}"

    with timed(f"{notebook}: widgets render"):
        widgets = ran.widgets()
    count = widgets["outputs"]
    assert count > 0 and widgets == {"outputs": count, "views": count, "missing": [], "loading": 0,
                                    "failed": 0}, (
        f"widget outputs, their views, cells without their views, 'Loading widget...' and 'Error displaying "
        f"widget' texts: {widgets}")

    if notebook.startswith("solutions/"):
        first_widget = ran.panel.locator(".jp-OutputArea-output.lm-Panel").first
        first_widget.evaluate("output => output.scrollIntoView({block: 'start'})")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        ran.panel.screenshot(path=SCREENSHOTS / f"{chapter(notebook)}.png")


def first_choice_question(chapter):
    """The number of the quiz's first multiple-choice question, its right option and a wrong one (letters)."""
    questions = shuffle(chapter, runpy.run_path(str(ROOT / "solutions" / chapter / "quiz_key.py"))["QUESTIONS"])
    number, question = next((n, q) for n, q in enumerate(questions, 1) if q.kind == "choice")
    return number, LETTERS[question.answer], LETTERS[(question.answer + 1) % len(question.options)]


@pytest.mark.parametrize("notebook", STUDENT_NOTEBOOKS)
def test_quiz_tells_a_wrong_answer_from_the_right_one(notebook, course, executed):
    ran = executed(notebook)
    number, right, wrong = first_choice_question(chapter(notebook))
    quiz = ran.panel.locator(".jp-OutputArea-output").filter(has=course.page.get_by_role("button", name="Check"))
    question = quiz.locator(".widget-vbox > .widget-vbox").nth(number - 1)
    assert question.inner_text().startswith(f"{number}.")
    feedback = question.locator(".widget-htmlmath").last

    verdicts = []
    for letter in (wrong, right):
        before = feedback.inner_text()
        question.get_by_role("radio").nth(LETTERS.index(letter)).check()  # each radio is named by its option
        question.get_by_role("button", name="Check").click()
        verdicts.append(changed_text(feedback, before))
    assert verdicts[0].startswith("Not quite"), f"a wrong answer got: {verdicts[0]!r}"
    assert verdicts[1].startswith("Correct!"), f"the right answer got: {verdicts[1]!r}"


@pytest.fixture
def race(notebook, course, executed):
    """The output of the notebook's race widget, its canvas drawn."""
    output = executed(notebook).output("Click on the map to start the race")
    output.scroll_into_view_if_needed()
    return output


def canvas_of(race):
    """The race's map (its first canvas; the second shows the losses)."""
    return race.locator(".jupyter-matplotlib-canvas-div").first


@pytest.mark.parametrize("notebook", RACES)
def test_race_moves_when_played(notebook, race):
    canvas, step = canvas_of(race), race.locator(".widget-hslider .widget-readout").first
    before, step_before = settled_screenshot(canvas), step.inner_text()
    assert before, "the race's canvas never showed a still picture"
    race.locator(".widget-play button").first.click()  # Play
    after = changed_screenshot(canvas, before)
    if race.locator(".widget-play .fa-pause").count():
        race.locator(".widget-play button").first.click()  # Pause
    assert after, "the canvas did not change after Play"
    assert step.inner_text() != step_before


@pytest.mark.parametrize("notebook", RACES)
def test_race_redraws_when_a_learning_rate_slider_moves(notebook, race):
    canvas = canvas_of(race)
    slider = race.locator(".widget-vbox").filter(has_text="learning rates").locator(".widget-hslider").first
    readout = slider.locator(".widget-readout")
    before, value_before = settled_screenshot(canvas), readout.inner_text()
    assert before
    slider.locator(".noUi-handle").press("PageDown")
    assert changed_text(readout, value_before) != value_before, "the slider did not move"
    assert changed_screenshot(canvas, before), "the canvas did not change when the learning rate did"


@pytest.mark.parametrize("notebook", RACES)
def test_a_click_on_the_map_starts_the_race_there(notebook, race):
    canvas = canvas_of(race)
    before = settled_screenshot(canvas)
    assert before
    box = canvas.bounding_box()
    x, y = round(0.3 * box["width"]), round(0.3 * box["height"])  # inside the map, the figure's left panel
    canvas.click(position={"x": x, "y": y})
    assert changed_screenshot(canvas, before), "the canvas did not change after a click on the map"
    after = settled_screenshot(canvas)
    changed = (pixels(before) != pixels(after)).any(axis=2)
    assert changed[y - 6 : y + 7, x - 6 : x + 7].any(), "nothing was drawn where the map was clicked"
