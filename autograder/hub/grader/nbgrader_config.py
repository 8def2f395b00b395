"""nbgrader's configuration of the grader's server (formgrader, a hub service) for any class, read before the
course's autograder/nbgrader_config.py and after the class's (see grader_config_path in autograder/hub.py):
a late submission loses 10 % of its score per day begun, released feedback pages stay readable by their
students though the grader's files are its own (umask 077), and their math is set by the MathJax that the
students' servers serve."""

from nbgrader.server_extensions.formgrader.handlers import template_path

from autograder.hub import HERE, ROOT, ReleaseReadableFeedback
from autograder.late import LatePenaltyPerDay

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
c.AssignLatePenalties.plugin_class = LatePenaltyPerDay
c.LatePenaltyPerDay.per_day = 0.1
c.ExchangeFactory.release_feedback = ReleaseReadableFeedback
# Graded kernels see the course's environment: where the accounts run the system's Python with the
# course's packages (autograder/hub.py, course_python), those packages are not under sys.prefix.
c.RecordingExecute.show = [str(ROOT / ".venv")]
# Feedback pages load MathJax from the student's own server, not from a CDN (autograder/hub/templates/feedback/):
# its template folder comes before nbgrader's, which holds the feedback template and formgrader's.
c.HTMLExporter.extra_template_basedirs = [str(HERE / "hub" / "templates"), template_path]
