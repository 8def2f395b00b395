"""The class on a JupyterHub on one machine: its roster, accounts, folders, and the Python its users run.

    python -m autograder.hub users [CLASS_DIR]    # as root: a Linux account per roster line, first passwords
    python -m autograder.hub prepare [CLASS_DIR]  # as root: the class folder, its hub's configuration files,
                                                  # the roster's names in the gradebook, the permissions

CLASS_DIR is the class folder (``class/`` in the course unless given; the Makefile's ``CLASS_DIR``). The
roster is ``<class>/roster.csv`` (id, name, role = student or instructor); ``roster.sample.csv`` next to
this file is copied there when it is missing. Each id is a Linux user name and an nbgrader student id.
New accounts get a random first password, written to ``<class>/hub/first-passwords.csv`` (readable by
root only) for the instructor to hand out; an existing account keeps its password.

The configuration files ``prepare`` writes into the class folder, each when missing (then they are the
instructor's to edit): ``hub/jupyterhub_config.py`` (JupyterHub's: ``jupyterhub -f`` it; it calls
autograder/hub_config.py), ``hub/student/nbgrader_config.py`` (nbgrader in each person's server: the
course and the class's exchange), ``hub/grader/nbgrader_config.py`` (formgrader's: it generates the student
version into ``<class>/release/``) and, as ``make class`` does, ``nbgrader_config.py`` (the class's
folders and settings). Each finds the class folder from where it lies.

Who may read what (``prepare``): each home is its owner's alone; the class folder belongs to the
grader (``grader-trainlab``, the user formgrader runs as), which others may pass through only to reach
the exchange (``<class>/exchange``, writable by all, as nbgrader expects); ``solutions/`` is the
grader's and root's; the hub's own state (its database, cookie secret, passwords) is root's.
"""

import csv
import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.collecting import ReleaseFeedbackWithoutExchange, valid_student_id
from autograder.settings import make_class

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COURSE_ID = "trainlab"
GRADER = f"grader-{COURSE_ID}"  # the Linux user formgrader (a hub service) runs as
ROLES = ("student", "instructor")
LINUX_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")  # what useradd accepts without --badname


def hub_dir(classroom):
    """The hub's state (root's): its database, cookie secret, the first passwords, the Python users run."""
    return classroom / "hub"


def read_roster(classroom):
    """[{id, name, role}] of ``<class>/roster.csv`` (the sample copied there when missing), checked."""
    path = classroom / "roster.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HERE / "roster.sample.csv", path)
        print(f"{path}: the sample roster, copied; edit it and run `make hub-users` again")
    with open(path, newline="") as f:
        people = [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(f)]
    for line, person in enumerate(people, start=2):
        if not (LINUX_NAME.fullmatch(person["id"]) and valid_student_id(person["id"])):
            raise SystemExit(f"{path}:{line}: {person['id']!r} is not an id (lower-case letters, digits, _ and -)")
        if person["role"] not in ROLES:
            raise SystemExit(f"{path}:{line}: role {person['role']!r} is neither of {', '.join(ROLES)}")
        if person["id"] == GRADER:
            raise SystemExit(f"{path}:{line}: {GRADER} is the grader's account, not a person's")
    ids = [person["id"] for person in people]
    if len(set(ids)) < len(ids):
        raise SystemExit(f"{path}: an id is there twice")
    return people


def exists(user):
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


def add_user(user, comment, system=False):
    """A Linux account with a home only its owner may enter."""
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", comment,
                    *(["--system"] if system else []), user], check=True)
    Path(pwd.getpwnam(user).pw_dir).chmod(0o700)


def create_users(classroom):
    """An account per roster line that has none, with a first password; returns the new ids."""
    require_root("create the class's accounts")
    people = read_roster(classroom)
    if not exists(GRADER):
        add_user(GRADER, "trainlab formgrader and grader", system=True)
    new = {}
    for person in people:
        if not exists(person["id"]):
            add_user(person["id"], person["name"].replace(":", " ").replace(",", " "))
            new[person["id"]] = secrets.token_urlsafe(9)
    if new:
        subprocess.run(["chpasswd"], input="".join(f"{user}:{word}\n" for user, word in new.items()), text=True,
                       check=True)
        passwords = hub_dir(classroom) / "first-passwords.csv"
        passwords.parent.mkdir(parents=True, exist_ok=True)
        fresh = not passwords.exists()
        descriptor = os.open(passwords, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(descriptor, 0o600)
        with open(descriptor, "a", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            if fresh:
                writer.writerow(["id", "name", "role", "first password"])
            for person in people:
                if person["id"] in new:
                    writer.writerow([person["id"], person["name"], person["role"], new[person["id"]]])
        print(f"{len(new)} account(s) created; their first passwords are in {passwords} (root only)")
    return sorted(new)


def prepare(classroom):
    """The class folder, its hub's configuration files, the roster's names in the gradebook and the
    permissions the hub needs (see the module docstring)."""
    require_root("set the class folder's owners")
    grader = pwd.getpwnam(GRADER)
    hub = hub_dir(classroom)
    for folder, owner, mode in [(classroom, grader, 0o711), (hub, None, 0o711), (hub / "state", None, 0o700),
                                (classroom / "exchange", None, 0o777)]:
        folder.mkdir(parents=True, exist_ok=True)
        if owner:
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        folder.chmod(mode)
    write_configuration(classroom)
    names_into_gradebook(classroom, read_roster(classroom))
    for path in classroom.iterdir():  # what the grader made or will make: its own, no one else's
        if path.name not in ("hub", "exchange", "roster.csv"):
            for inner in [path, *(path.rglob("*") if path.is_dir() and not path.is_symlink() else [])]:
                os.chown(inner, grader.pw_uid, grader.pw_gid, follow_symlinks=False)
                if not inner.is_symlink():
                    inner.chmod(stat.S_IMODE(inner.stat().st_mode) & 0o700)
    course = classroom / "exchange" / COURSE_ID  # released by root (make release-assignment): the grader's
    if course.is_dir():
        for path in [course, *course.glob("*"), *(course / "outbound").rglob("*"), *(course / "feedback").rglob("*")]:
            os.chown(path, grader.pw_uid, grader.pw_gid, follow_symlinks=False)
    solutions = ROOT / "solutions"
    os.chown(solutions, 0, grader.pw_gid)
    solutions.chmod(0o750)
    course_python(classroom)


# The configuration files of a class's hub, by their place in the class folder (see the module docstring).
HUB_CONFIGURATION = {
    "hub/jupyterhub_config.py": '''"""JupyterHub for the class in the folder above: `make hub` runs `jupyterhub -f` this file. It is the
course's hub (autograder/hub_config.py); what is set below the call wins, and JupyterHub's command line
(`--ip`, `--port`) wins over this file."""

from pathlib import Path

from autograder.hub_config import configure

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
configure(c, Path(__file__).resolve().parents[1])
''',
    "hub/student/nbgrader_config.py": f'''"""nbgrader in every account's server on the hub of the class two folders up (formgrader is not there):
the course and the class's exchange. The student id is the account's name."""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
c.CourseDirectory.course_id = {COURSE_ID!r}
c.Exchange.root = str(Path(__file__).resolve().parents[2] / "exchange")
''',
    "hub/grader/nbgrader_config.py": '''"""formgrader's nbgrader settings for the class two folders up, read before the class's and the course's:
*Generate* writes the student version into the class's release/, not into the course's notebooks/."""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
c.CourseDirectory.release_directory = str(Path(__file__).resolve().parents[2] / "release")
''',
}


def write_configuration(classroom):
    """The hub's configuration files and the class's ``nbgrader_config.py`` (``make class``), each when missing."""
    make_class(classroom)
    for name, text in HUB_CONFIGURATION.items():
        path = classroom / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o755)
        if not path.exists():
            path.write_text(text)
        path.chmod(0o644)


def student_config_path(classroom):
    """JUPYTER_CONFIG_PATH of a person's server, first wins: the class's hub/student/, the course's."""
    return [hub_dir(classroom) / "student", HERE / "hub" / "student"]


def grader_config_path(classroom):
    """JUPYTER_CONFIG_PATH of formgrader and its terminals, first wins: the class's hub/grader/, the class's
    settings, the course's settings of formgrader (autograder/hub/grader/), the course's."""
    return [hub_dir(classroom) / "grader", classroom, HERE / "hub" / "grader", HERE]


def split_name(name):
    """(first name, last name) of a roster's name: the last word is the last name ("Ada King Lovelace" ->
    ("Ada King", "Lovelace")); a name of one word is a first name."""
    first, _, last = " ".join(name.split()).rpartition(" ")
    return (first, last) if first else (last, "")


def names_into_gradebook(classroom, people):
    """The roster's students in the class's gradebook, with their first and last names (split_name), as
    formgrader lists them: nbgrader's ``db student import`` with formgrader's configuration."""
    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["id", "first_name", "last_name"])
        writer.writerows([person["id"], *split_name(person["name"])] for person in people
                         if person["role"] == "student")
        table.flush()
        environment = os.environ | {"JUPYTER_CONFIG_PATH": os.pathsep.join(map(str, grader_config_path(classroom)))}
        done = subprocess.run([sys.executable, "-m", "nbgrader", "db", "student", "import", table.name], cwd=ROOT,
                              env=environment, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the roster's names could not go into the gradebook:\n{done.stdout}{done.stderr}")


def course_python(classroom):
    """The Python every account runs: the course's environment.

    The course's own ``.venv/bin/python`` when every account may run it. When its interpreter lies in a
    home no one else may enter (pyenv under /root), a virtual environment of the system's Python 3.11 in
    ``<class>/hub/python`` that uses the course's packages (the same minor version: one ABI).
    """
    venv = ROOT / ".venv"
    python = venv / "bin" / "python"
    if runnable_by_all(python.resolve()):
        return python
    bridge = hub_dir(classroom) / "python"
    packages = next((venv / "lib").glob("python3.*/site-packages"))
    version = packages.parent.name
    system = next((Path(folder) / version for folder in ("/usr/bin", "/usr/local/bin")
                   if runnable_by_all(Path(folder) / version)), None)
    if system is None:
        raise SystemExit(f"{python.resolve()} cannot be run by the class's accounts and there is no system "
                         f"{version} to stand in: install {version} (apt-get install {version}-venv) or build "
                         "the course's .venv from a Python every user may run (make install PYTHON=...)")
    if not (bridge / "bin" / "python").exists():
        subprocess.run([str(system), "-m", "venv", "--without-pip", str(bridge)], check=True)
        site = next((bridge / "lib").glob("python3.*/site-packages"))
        # the course's packages, with their own .pth files (trainlab and the grader are editable installs)
        (site / "course.pth").write_text(f"import site; site.addsitedir({str(packages)!r})\n")
        for folder in ("share", "etc"):  # JupyterLab's application, extensions and their configuration
            (bridge / folder).symlink_to(venv / folder)
        # packages of the course that need a newer Python than the system's (soupsieve needs 3.11.5;
        # Debian 12 has 3.11.2): their newest release that fits, in front of the course's
        unfit = packages_unfit_for(packages, system)
        if unfit:
            subprocess.run([sys.executable, "-m", "pip", "--python", str(bridge / "bin" / "python"), "install",
                            "--quiet", "--ignore-installed", "--no-deps", *unfit], check=True)
        # the course's commands (nbgrader runs `alembic`), each started by this Python
        shebang = f"#!{venv / 'bin' / 'python'}".encode()
        for script in (venv / "bin").iterdir():
            if script.is_file() and not script.is_symlink() and not (bridge / "bin" / script.name).exists():
                first, _, rest = script.read_bytes().partition(b"\n")
                if first.startswith(shebang):
                    (bridge / "bin" / script.name).write_bytes(f"#!{bridge / 'bin' / 'python'}\n".encode() + rest)
                    (bridge / "bin" / script.name).chmod(0o755)
    return bridge / "bin" / "python"


def packages_unfit_for(packages, python):
    """Names of the distributions in ``packages`` whose Requires-Python excludes ``python``'s version."""
    from importlib.metadata import PathDistribution

    from packaging.specifiers import SpecifierSet

    version = subprocess.run([str(python), "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    unfit = []
    for info in sorted(Path(packages).glob("*.dist-info")):
        metadata = PathDistribution(info).metadata
        needs = metadata.get("Requires-Python")
        if needs and version not in SpecifierSet(needs):
            unfit.append(metadata["Name"])
    return unfit


def runnable_by_all(path):
    """Whether any user may run ``path``: it and every folder above it are open to others."""
    path = Path(path)
    try:
        return all(folder.stat().st_mode & stat.S_IXOTH for folder in [path, *path.parents])
    except OSError:
        return False


class ReleaseReadableFeedback(ReleaseFeedbackWithoutExchange):
    """The course's release_feedback, each page readable by all, as nbgrader leaves it with the usual
    umask (its name, a hash of the student's submission, is the secret): the grader writes with umask 077."""

    def copy_files(self):
        super().copy_files()
        for page in Path(self.dest_path).glob("*.html"):
            page.chmod(0o644)


def require_root(what):
    if os.geteuid() != 0:
        raise SystemExit(f"only root may {what}: run it with sudo")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    commands = {"users": create_users, "prepare": prepare}
    if len(argv) not in (1, 2) or argv[0] not in commands:
        raise SystemExit(__doc__.split("\n\n")[1])
    commands[argv[0]](Path(argv[1] if len(argv) == 2 else ROOT / "class").resolve())


if __name__ == "__main__":
    main()


