"""Where a class's files go, and the table of the grader's settings in the README.

Every setting is a declared traitlet: nbgrader's own where it has one (``CourseDirectory.db_url``,
``Execute.timeout``, ...), the grader's otherwise (``SandboxProvisioner.memory``, ...). Each is set in a
configuration file or on nbgrader's command line (``--Execute.timeout=10``).

A class (submissions, autograded notebooks, feedback, the gradebook, the exchange, zip_collect's
downloads, the records of the reference runs) lives in one folder, ``class/`` in the course root unless
told otherwise. nbgrader reads these paths from several of its traits, and no hook of nbgrader's runs
after its command line is read, so the class folder is not one trait: ``class_folder(c, folder)`` sets
them all in a configuration file. The course's ``nbgrader_config.py`` calls it for ``class/``;
``make_class(folder)`` makes another class folder with a configuration file of its own, which wins over
the course's when ``JUPYTER_CONFIG_PATH`` names the folder first (the Makefile's ``CLASS_DIR`` does this).

    python -m autograder.settings class FOLDER   # make_class(FOLDER): what `make class` runs
    python -m autograder.settings table          # the README's table of settings
"""

import argparse
import os
import re
import sys
from pathlib import Path

from traitlets.config import PyFileConfigLoader

COURSE = Path(__file__).resolve().parents[1]

# The settings the README's table lists, in its order, each with the class that declares it.
SETTINGS = {
    "SandboxProvisioner": ("memory", "processes", "disk", "cpu_time", "open_files", "threads", "first_uid", "users",
                           "show", "figures"),
    "Execute": ("timeout", "skip_cells_with_tag"),
    "RecordingExecute": ("interrupt_grace",),
    "TruncateLongOutputs": ("max_characters",),
    "JudgeTestCells": ("source_directory", "cache_directory"),
    "CourseDirectory": ("source_directory", "release_directory", "submitted_directory", "autograded_directory",
                        "feedback_directory", "db_url"),
    "Exchange": ("root",),
    "ZipCollectApp": ("downloaded_directory",),
    "ClassReport": ("similarity_threshold", "noise_threshold", "failures_shown"),
}


def class_folder(c, folder):
    """Set in the configuration ``c`` every path of the class kept in ``folder``."""
    folder = Path(folder).resolve()
    c.CourseDirectory.submitted_directory = str(folder / "submitted")
    c.CourseDirectory.autograded_directory = str(folder / "autograded")
    c.CourseDirectory.feedback_directory = str(folder / "feedback")
    # Several graders write at once (parallel_autograde.py): SQLite waits up to a minute for its lock
    # instead of failing with "database is locked".
    c.CourseDirectory.db_url = f"sqlite:///{folder / 'gradebook.db'}?timeout=60"
    c.Exchange.root = str(folder / "exchange")
    # zip_collect joins this to the course root as text, so it is relative to it
    c.ZipCollectApp.downloaded_directory = os.path.relpath(folder / "downloaded", COURSE)
    # What the instructor notebooks' checks recorded: the values test cells are judged against.
    c.JudgeTestCells.cache_directory = str(folder / "reference_records")


def make_class(folder, **settings):
    """Make the class folder ``folder``: the folder (the SQLite gradebook needs it), its exchange (as
    nbgrader makes it: every student submits there, so anyone may write) and, unless it has one, its
    ``nbgrader_config.py``, which puts the class's files in ``folder`` and sets ``settings``
    (``{"Execute.timeout": 10}``)."""
    folder = Path(folder).resolve()
    (folder / "exchange").mkdir(parents=True, exist_ok=True)
    (folder / "exchange").chmod(0o777)
    config = folder / "nbgrader_config.py"
    if not config.exists():
        lines = [f"c.{name} = {value!r}" for name, value in settings.items()]
        config.write_text("\n".join([
            '"""The settings of the class in this folder: they win over the course\'s (autograder/nbgrader_config.py)."""',
            "from pathlib import Path", "", "from autograder.settings import class_folder", "",
            "c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)",
            "class_folder(c, Path(__file__).parent)", *lines, ""]))


def course_config():
    """The configuration autograder/nbgrader_config.py makes."""
    loader = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE / "autograder"))
    return loader.load_config()


def declaring_classes():
    """{section: the class declaring its settings}."""
    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import Exchange
    from nbgrader.preprocessors import Execute

    from autograder.preprocessors import JudgeTestCells, RecordingExecute, TruncateLongOutputs
    from autograder.report import ClassReport
    from autograder.sandbox import SandboxProvisioner
    return {cls.__name__: cls for cls in (SandboxProvisioner, Execute, RecordingExecute, TruncateLongOutputs,
                                          JudgeTestCells, CourseDirectory, Exchange, ZipCollectApp, ClassReport)}


def shown(value):
    """A default as the table shows it: the course's folder as <course>, numbers with thousands separators."""
    if isinstance(value, bool) or not isinstance(value, (int, str, list)):
        return f"`{value!r}`"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(map(shown, value)) or "none"
    return f"`{value.replace(str(COURSE), '<course>')}`" if value else "none"


def first_sentence(text):
    """The first sentence of a trait's help, on one line."""
    return re.split(r"(?<=\.)\s+(?=[A-Z])", " ".join(text.split()))[0]


def table():
    """The README's table: every setting of SETTINGS, its default for the course, and its help."""
    config, classes = course_config(), declaring_classes()
    rows = ["| setting | default | help |", "| :- | :- | :- |"]
    for section, names in SETTINGS.items():
        traits = classes[section].class_traits(config=True)
        for name in names:
            trait = traits[name]  # a KeyError here: SETTINGS names a trait that is not a setting
            value = config[section][name] if name in config[section] else trait.default()
            rows.append(f"| `{section}.{name}` | {shown(value)} | {first_sentence(trait.help)} |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("class", help="make a class folder").add_argument("folder")
    commands.add_parser("table", help="print the README's table of settings")
    args = parser.parse_args(argv)
    if args.command == "class":
        make_class(args.folder)
    else:
        print(table())


if __name__ == "__main__":
    sys.exit(main())
