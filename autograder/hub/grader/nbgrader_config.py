"""nbgrader's configuration of the grader's server (formgrader, a hub service), read before the course's
autograder/nbgrader_config.py: a late submission loses 10 % of its score per day begun, and released
feedback pages stay readable by their students though the grader's files are its own (umask 077)."""

from autograder.hub import ROOT, ReleaseReadableFeedback, class_dir
from autograder.late import LatePenaltyPerDay
from autograder.settings import class_folder

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
# The hub's class folder (autograder/hub.py); formgrader generates the student version into it.
class_folder(c, class_dir())
c.CourseDirectory.release_directory = str(class_dir() / "release")
c.AssignLatePenalties.plugin_class = LatePenaltyPerDay
c.LatePenaltyPerDay.per_day = 0.1
c.ExchangeFactory.release_feedback = ReleaseReadableFeedback
# Graded kernels see the course's environment: where the accounts run the system's Python with the
# course's packages (autograder/hub.py, course_python), those packages are not under sys.prefix.
c.RecordingExecute.show = [str(ROOT / ".venv")]
