"""The hub's parts that need no hub: the roster, the class's configuration files, the roster's names in the
gradebook and the late penalty (the hub itself: tests/browser/test_hub.py)."""

import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import nbformat
import pytest
from jupyter_server_mathjax.app import STATIC_ASSETS_PATH, MathJaxExtension
from nbgrader.api import Gradebook
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from traitlets.config import PyFileConfigLoader

from autograder.hub import HERE, names_into_gradebook, read_roster, split_name, write_configuration
from autograder.late import LatePenaltyPerDay


@pytest.mark.parametrize("seconds_late, penalty", [(60, 2.7), (86400, 2.7), (86401, 5.4), (30 * 86400, 27)])
def test_a_late_notebook_loses_a_tenth_of_its_score_per_day_begun_down_to_zero(seconds_late, penalty):
    assert LatePenaltyPerDay().late_submission_penalty("ada", 27, seconds_late) == penalty


def test_the_sample_roster_is_copied_when_the_class_has_none(tmp_path):
    people = read_roster(tmp_path)
    assert (tmp_path / "roster.csv").exists()
    assert {person["role"] for person in people} == {"student", "instructor"}


@pytest.mark.parametrize("line, complaint", [("Ada,Ada,student", "is not an id"), ("ada,Ada,teacher", "role"),
                                             ("../x,X,student", "is not an id"),
                                             ("grader-trainlab,G,student", "grader's account")])
def test_a_roster_line_that_is_not_an_account_is_refused(tmp_path, line, complaint):
    (tmp_path / "roster.csv").write_text(f"id,name,role\n{line}\n")
    with pytest.raises(SystemExit, match=complaint):
        read_roster(tmp_path)


@pytest.mark.parametrize("name, first_and_last", [("Ada Lovelace", ("Ada", "Lovelace")),
                                                  ("Ada King  Lovelace ", ("Ada King", "Lovelace")),
                                                  ("Plato", ("Plato", ""))])
def test_a_roster_name_is_split_at_its_last_word(name, first_and_last):
    assert split_name(name) == first_and_last


def test_the_hub_configuration_finds_the_class_folder_it_lies_in(tmp_path):
    classroom = tmp_path / "class"
    write_configuration(classroom)
    student = PyFileConfigLoader("nbgrader_config.py", path=str(classroom / "hub" / "student")).load_config()
    grader = PyFileConfigLoader("nbgrader_config.py", path=str(classroom / "hub" / "grader")).load_config()
    assert (student.CourseDirectory.course_id, student.Exchange.root) == ("trainlab", str(classroom / "exchange"))
    assert grader.CourseDirectory.release_directory == str(classroom / "release")
    assert (classroom / "nbgrader_config.py").exists() and (classroom / "hub" / "jupyterhub_config.py").exists()


def test_the_roster_names_reach_the_gradebook_formgrader_reads(tmp_path):
    classroom = tmp_path / "class"
    write_configuration(classroom)
    with Gradebook(f"sqlite:///{classroom / 'gradebook.db'}") as gradebook:
        gradebook.add_student("alan")  # as nbgrader's collect adds a student: no name
    names_into_gradebook(classroom, [{"id": "alan", "name": "Alan Turing", "role": "student"},
                                     {"id": "grace", "name": "Grace Brewster Hopper", "role": "student"},
                                     {"id": "teacher", "name": "Ada Lovelace", "role": "instructor"}])
    with Gradebook(f"sqlite:///{classroom / 'gradebook.db'}") as gradebook:
        names = {student.id: (student.first_name, student.last_name) for student in gradebook.students}
    assert names == {"alan": ("Alan", "Turing"), "grace": ("Grace Brewster", "Hopper")}


def test_a_feedback_page_on_the_hub_loads_the_mathjax_of_the_students_own_server():
    """nbgrader's feedback page, made with formgrader's configuration on the hub, loads MathJax from where
    the student's server serves the package jupyter_server_mathjax, with configuration files it has."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(HERE / "hub" / "grader")).load_config()
    converter = GenerateFeedback(coursedir=CourseDirectory(), config=config)
    exporter = converter.exporter_class(parent=converter, config=converter.config)  # as its start() makes it
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("The loss $L = (y - t)^2$.")])
    html, _ = exporter.from_notebook_node(notebook, resources={
        "nbgrader": {"notebook": "losses", "score": 1, "max_score": 2, "late_penalty": 0}})
    sources = re.findall(r'<script src="([^"]*MathJax[^"]*)"', html, flags=re.IGNORECASE)
    assert len(sources) == 1, sources
    # where nbgrader's fetch_feedback puts the page in ada's home, as her server shows it
    page = "http://127.0.0.1:8000/user/ada/files/01_losses/feedback/2026-11-30 02:00:00.000000 UTC/losses.html"
    served = f"/user/ada/static/{MathJaxExtension.name}/"  # an extension's static files: <server>/static/<name>/
    url = urlsplit(urljoin(page, sources[0]))
    assert url.netloc == "127.0.0.1:8000" and url.path.startswith(served), url
    assert (STATIC_ASSETS_PATH / url.path.removeprefix(served)).is_file()
    for name in parse_qs(url.query)["config"][0].split(","):
        assert (STATIC_ASSETS_PATH / "config" / f"{name}.js").is_file(), name
    assert 'webFont: "STIX-Web"' in html and (STATIC_ASSETS_PATH / "fonts" / "HTML-CSS" / "STIX-Web").is_dir()
    enabled = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / f"{MathJaxExtension.name}.json"
    assert enabled.is_file()  # every server of the course's environment loads the extension
