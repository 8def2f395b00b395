"""The course's late penalty, an nbgrader late-submission plugin (``AssignLatePenalties.plugin_class``).

A notebook handed in after its assignment's due date (set in formgrader's *Manage Assignments*, or
``nbgrader db assignment add 01_losses --duedate=...``) loses ``per_day`` of its score for every day,
begun, that it is late, down to zero. formgrader and the feedback page show the submission as late.
"""

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float


class LatePenaltyPerDay(LateSubmissionPlugin):
    per_day = Float(0.1, help="fraction of the notebook's score lost per day (begun) late").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        """Points taken off ``score``: per_day x score per day begun, at most ``score``."""
        days = math.ceil(total_seconds_late / 86400)
        return min(score, round(score * self.per_day * days, 2))
