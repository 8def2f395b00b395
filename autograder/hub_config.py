"""JupyterHub for a class of the course on one machine: ``configure(c, class_dir)``, called by the class's
``<class>/hub/jupyterhub_config.py`` (written by ``python -m autograder.hub prepare``); `make hub` starts it, as root.

- Accounts: the roster ``<class>/roster.csv`` (see autograder/hub.py); each person logs in with the
  password of their Linux account (PAM; ``make hub-users`` creates the accounts and their first passwords).
- Servers: each person's JupyterLab runs as their Linux user, in their home, with the course's Python and
  packages, under a memory and CPU cap of its own (cgroups: see CourseSpawner).
- nbgrader: every server has the course and the class's exchange (``<class>/hub/student/`` and
  autograder/hub/student/) and the Assignments tab, not formgrader. Formgrader is the hub service ``trainlab``
  at /services/trainlab/: a JupyterLab running as the grader's Linux user ``grader-trainlab`` in the course
  folder, with the class's and the course's nbgrader configuration, reachable only by the hub group
  ``formgrade-trainlab`` (the roster's instructors); its *Generate* writes the student version to
  ``<class>/release/``, not to the course's notebooks/; students are the group ``nbgrader-trainlab``, as
  nbgrader's documentation names them.
- State: the hub's database and cookie secret in ``<class>/hub/state/``; homes, the exchange and the
  gradebook are where they are. A restart keeps them all.

Addresses: people reach the hub at JupyterHub's ``ip`` and ``port`` (127.0.0.1:8000; `make hub` passes
``--ip`` and ``--port``); inside the machine the hub uses JupyterHub's own ports (its API on 127.0.0.1:8081,
the proxy's on 127.0.0.1:8001) and formgrader's (FORMGRADER_URL: change ``c.JupyterHub.services[0]["url"]``).
"""

import os
import secrets
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Float, Integer

from autograder.hub import (COURSE_ID, GRADER, course_python, grader_config_path, hub_dir, read_roster,
                            student_config_path)
from autograder.sandbox import Cgroups

ROOT = Path(__file__).resolve().parents[1]
FORMGRADER_URL = "http://127.0.0.1:8082"  # where formgrader listens, for the hub's proxy only


class CourseSpawner(LocalProcessSpawner):
    """LocalProcessSpawner whose server runs in cgroups of its own: memory (``mem_limit``, no swap),
    processes (``processes``) and CPU time (``cpu_limit`` cores, a CFS quota). Where the hub may not make
    cgroups (not root, no delegation) the server runs uncapped and the hub's log says so."""

    processes = Integer(1024, help="processes and threads a user's server and kernels may run at once").tag(
        config=True)
    cpu_period = Float(0.1, help="seconds of the CPU quota's period").tag(config=True)

    async def start(self):
        name = f"trainlab-hub-{self.user.name}-{secrets.token_hex(3)}"
        self.cgroups = Cgroups(name, int(self.mem_limit or 2**62), self.processes)
        self.cpu_folder = cpu_cgroup(name, self.cpu_limit, self.cpu_period) if self.cpu_limit else None
        if not self.cgroups.folders:
            self.log.warning("%s's server runs without a memory cap: the hub may not make cgroups", self.user.name)
        return await super().start()

    def make_preexec_fn(self, name):
        become_user, cgroups, cpu_folder = super().make_preexec_fn(name), self.cgroups, self.cpu_folder

        def preexec():  # in the child, as root, before it becomes the user
            cgroups.join()
            if cpu_folder:
                (cpu_folder / "cgroup.procs").write_text(str(os.getpid()))
            become_user()

        return preexec

    async def stop(self, now=False):
        await super().stop(now=now)
        if getattr(self, "cgroups", None):
            self.cgroups.remove()
        if getattr(self, "cpu_folder", None) and self.cpu_folder != next(iter(self.cgroups.folders.values()), None):
            try:
                self.cpu_folder.rmdir()
            except OSError:
                pass


def cpu_cgroup(name, cores, period):
    """A cgroup folder capping CPU time at ``cores`` (v1: cpu.cfs_quota_us; v2: cpu.max), or None."""
    microseconds = int(period * 10**6)
    try:
        own = dict(line.split(":", 2)[1:] for line in Path("/proc/self/cgroup").read_text().splitlines())
        if Path("/sys/fs/cgroup/cgroup.controllers").exists():
            folder = Path("/sys/fs/cgroup") / own[""].lstrip("/") / name  # made by Cgroups, with memory
            (folder / "cpu.max").write_text(f"{int(cores * microseconds)} {microseconds}")
            return folder
        controller = next(key for key in own if "cpu" in key.split(","))
        folder = Path("/sys/fs/cgroup") / controller / own[controller].lstrip("/") / name
        folder.mkdir()
        (folder / "cpu.cfs_period_us").write_text(str(microseconds))
        (folder / "cpu.cfs_quota_us").write_text(str(int(cores * microseconds)))
        return folder
    except (OSError, KeyError, StopIteration):
        return None


def configure(c, classroom):
    """Set in the configuration ``c`` the hub of the class in the folder ``classroom``."""
    classroom = Path(classroom).resolve()
    state = hub_dir(classroom) / "state"
    people = read_roster(classroom)
    python = course_python(classroom)  # the course's environment, runnable by every account
    path = f"{python.parent}:/usr/local/bin:/usr/bin:/bin"

    c.JupyterHub.ip = "127.0.0.1"
    c.ConfigurableHTTPProxy.command = [str(ROOT / "build" / "hub" / "node_modules" / ".bin" /
                                           "configurable-http-proxy")]
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")

    # Logging in: the Linux accounts' passwords, for the roster's people only; no one is the hub's admin
    # (an admin could open any student's server).
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.open_sessions = False  # no login session to register: the servers are the hub's children
    c.Authenticator.allowed_users = {person["id"] for person in people}
    c.Authenticator.admin_users = set()

    c.JupyterHub.spawner_class = CourseSpawner
    c.Spawner.cmd = [str(python), "-m", "autograder.hub_server"]  # jupyterhub.singleuser, stopped by SIGINT
    c.Spawner.default_url = "/lab"
    c.Spawner.environment = {"PATH": path, "OMP_NUM_THREADS": "1",
                             "JUPYTER_CONFIG_PATH": os.pathsep.join(map(str, student_config_path(classroom)))}
    c.Spawner.mem_limit = "3G"
    c.Spawner.cpu_limit = 1.0
    c.Spawner.start_timeout = 120  # a busy machine may take a while to import JupyterLab
    c.Spawner.http_timeout = 120

    # Formgrader for the instructors: a service of the hub, as nbgrader documents it ("one class, multiple
    # graders"). Its files are the grader's alone (umask 077; see autograder/hub/grader/nbgrader_config.py).
    instructors = sorted(person["id"] for person in people if person["role"] == "instructor")
    students = sorted(person["id"] for person in people if person["role"] == "student")
    c.JupyterHub.load_groups = {f"formgrade-{COURSE_ID}": {"users": instructors},
                                f"nbgrader-{COURSE_ID}": {"users": students}}
    c.JupyterHub.load_roles = [{"name": f"formgrade-{COURSE_ID}", "groups": [f"formgrade-{COURSE_ID}"],
                                "scopes": [f"access:services!service={COURSE_ID}", "list:services",
                                           f"read:services!service={COURSE_ID}"]}]
    c.JupyterHub.services = [{
        "name": COURSE_ID,
        "url": FORMGRADER_URL,
        "command": ["/bin/sh", "-c", 'umask 077 && exec "$0" -m autograder.hub_server "$@"', str(python)],
        "user": GRADER,
        "cwd": str(ROOT),
        "oauth_no_confirm": True,
        "environment": {"JUPYTERHUB_DEFAULT_URL": "/lab", "PATH": path, "OMP_NUM_THREADS": "1",
                        "JUPYTER_CONFIG_PATH": os.pathsep.join(map(str, grader_config_path(classroom)))},
    }]
