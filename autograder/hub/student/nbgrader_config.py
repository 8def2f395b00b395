"""nbgrader's configuration in every account's server on the class's hub (not the instructor's): the
course and its exchange, whose folder the hub names in $TRAINLAB_EXCHANGE. The student id is the
account's name."""

import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
c.CourseDirectory.course_id = "trainlab"
c.Exchange.root = os.environ["TRAINLAB_EXCHANGE"]
