"""nbgrader configuration of the course.

The course root is the folder above this one: ``solutions/`` is nbgrader's source
directory and ``notebooks/`` its release directory. Everything a class produces
(submissions, autograded notebooks, feedback, the gradebook, the exchange) goes to
``class/`` in the course root (not under version control), or to a class folder made by
``make class CLASS_DIR=...``, whose own configuration wins over this one (see
autograder/settings.py). This file only configures: ``make class`` makes the folders.
nbgrader finds this file through JUPYTER_CONFIG_PATH, which the Makefile sets.
"""

from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput,
                                    DeduplicateIds, GetGrades, IgnorePattern, LimitOutput,
                                    OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

from autograder.collecting import (InstructorArchiveExtractor, LmsNameCollector, RegularFilesCollect,
                                   ReleaseFeedbackWithoutExchange)
from autograder.preprocessors import (ClearHiddenTestsOfTestCells, JudgeTestCells, RecordingExecute, RestoreGraderMarks,
                                      SanitiseSubmissionHtml, TruncateLongOutputs, UnmarkDuplicateCells)
from autograder.demos import SkipDemoCells
from autograder.release import KernelLanguageInfo
from autograder.settings import class_folder

HERE = Path(__file__).resolve().parent

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
ROOT = HERE.parent

c.CourseDirectory.course_id = "trainlab"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "quiz_key.py", ".quiz_*.json"]
# A released notebook carries the language_info its kernel reports (with the full Python version), so
# JupyterLab has nothing to rewrite when the kernel starts and an untouched notebook opens clean.
c.GenerateAssignment.preprocessors = [*GenerateAssignment.class_traits()["preprocessors"].default(),
                                      KernelLanguageInfo]
# submitted/, autograded/, feedback/, the gradebook, the exchange, downloaded/ and the reference records
class_folder(c, ROOT / "class")

# What students hand in is a stranger's files and names (see collecting.py): `make collect` copies regular
# files only, and a zip-collected student's feedback stays out of the exchange instead of stopping its release.
c.ExchangeFactory.collect = RegularFilesCollect
c.ExchangeFactory.release_feedback = ReleaseFeedbackWithoutExchange
# `make zip-collect`: notebooks as a learning-management system hands them out, loose or zipped, in
# <class>/downloaded/<chapter>/archive/, each named <student id>_<notebook> (ada_losses.ipynb). Only the
# instructor's archives are opened; ids come from the LMS's names.
c.ZipCollectApp.extractor_plugin = InstructorArchiveExtractor
c.ZipCollectApp.collector_plugin = LmsNameCollector

# A warning on stderr (overflow in np.exp, a deprecation in a library) is not a failure:
# nbgrader counts any stderr output of a test cell as one unless it is dropped first.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning\b"
# Validate runs nbgrader's fixed CheckCellMetadata, ClearOutput, Execute: Validator.preprocessors is no
# configurable trait in nbgrader 0.9.6 (a setting here is ignored), so a warning on stderr fails Validate.

c.Execute.timeout = 60  # seconds per cell
c.Execute.iopub_timeout = 30  # the kernel may still be sending a huge output when its cell is done
c.Execute.shutdown_kernel = "immediate"  # a graded kernel has nothing to save: saves a second or two
# Cells that only demonstrate (timings, long demo trainings, pictures) carry this tag in solutions/: the grader
# skips them, in its reference run too (autograder/demos.py). Students run them in JupyterLab; no cell that runs
# when grading may need what they define or change, and SkipDemoCells decides a submission's tags again: a
# demo the student changed or whose names their code uses runs.
c.Execute.skip_cells_with_tag = "skip-when-grading"

# What a real class hands in (see autograder/broken.py): a notebook saved by another tool gets its marks
# back, a graded cell pasted from another notebook or copied is an ordinary cell, a deleted test cell is
# put back and run, a cell that kills the kernel costs only that cell, and a 100 MB line is cut short.
c.Autograde.sanitize_preprocessors = [ClearOutput, RestoreGraderMarks, DeduplicateIds, UnmarkDuplicateCells,
                                      OverwriteKernelspec, OverwriteCells, SkipDemoCells, CheckCellMetadata]
c.RestoreGraderMarks.source_directory = str(ROOT / "solutions")
c.SkipDemoCells.source_directory = str(ROOT / "solutions")
c.OverwriteCells.add_missing_cells = True
c.Autograde.autograde_preprocessors = [RecordingExecute, JudgeTestCells, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, TruncateLongOutputs, SanitiseSubmissionHtml, SaveAutoGrades,
                                       AssignLatePenalties, CheckCellMetadata]
# Student code runs in a bubblewrap sandbox built from an allowlist, as a user of its own, with caps
# (autograder/sandbox.py): it sees neither the course (solutions, autograder) nor the class (gradebook,
# other submissions), has no network and writes only to a file system in memory of its own.
c.SandboxProvisioner.memory = 2 * 10**9  # bytes
c.SandboxProvisioner.processes = 256  # processes and threads
c.SandboxProvisioner.disk = 100 * 10**6  # bytes written
c.SandboxProvisioner.cpu_time = 600  # seconds
c.SandboxProvisioner.open_files = 256
c.SandboxProvisioner.threads = 1  # OMP_NUM_THREADS of a graded kernel
# Tests are judged by the grader, not by the student's kernel (see preprocessors.py): a test cell
# passes only if the values its checks recorded agree with the reference solution's run of it.
c.JudgeTestCells.source_directory = str(ROOT / "solutions")

# Feedback shows every test's result and message, never hidden tests, their source or what the kernel
# printed while they ran (RecordingExecute runs them last and keeps only the grader's words).
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTestsOfTestCells, CSSHTMLHeaderPreprocessor]
# What a submission's Markdown and outputs hold is shown, not run, in feedback and in formgrader (both
# render the autograded notebook with nbconvert's HTMLExporter): no <script>, no Javascript output, no
# onerror=. SanitiseSubmissionHtml cleans the autograded notebook; this cleans what the templates render.
c.HTMLExporter.sanitize_html = True
