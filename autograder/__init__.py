"""The course's grader: nbgrader's configuration and preprocessors, the sandbox, the class workflow."""
