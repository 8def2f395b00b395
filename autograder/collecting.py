"""How submissions come in and feedback goes out, when every name and file in them is a stranger's.

nbgrader's own commands, through their public extension points (set in nbgrader_config.py):

- :class:`RegularFilesCollect` (``ExchangeFactory.collect``): ``nbgrader collect`` copies regular
  files only. Students own their inbound folders; a link, device, fifo or socket there, or a file
  over ``CourseDirectory.max_file_size``, is refused and reported, never followed or read. Where
  students are users of the machine, a folder named after one student but made by another is refused.
- :class:`InstructorArchiveExtractor` and :class:`LmsNameCollector` (``ZipCollectApp``'s plugins):
  ``nbgrader zip_collect`` extracts the instructor's archives only (an archive a student uploaded
  stays a file and is skipped), takes student ids from the LMS's names, and skips with a report
  any member that is unsafe (``..``, absolute, a link), a duplicate or over-size.
- :class:`ReleaseFeedbackWithoutExchange` (``ExchangeFactory.release_feedback``): a student
  collected from an LMS has no exchange secret; their page is left for the LMS, with a note,
  instead of stopping the release for the class.

A student id is a name like ``ada``, ``a.lovelace`` or ``ada-2``: it cannot be ``..``, hold a
``/``, or hold a glob character that would make ``--student`` match classmates.
"""

import datetime
import glob
import os
import pwd
import re
import stat
import zipfile
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from nbgrader.utils import ignore_patterns
from traitlets import Integer, Unicode

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


def valid_student_id(name):
    return bool(STUDENT_ID.fullmatch(name)) and ".." not in name


def kind(mode):
    """What a file of ``mode`` is, in words."""
    for test, words in [(stat.S_ISLNK, "a link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a fifo"),
                        (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")]:
        if test(mode):
            return words
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def copy_regular_files(src, dest, max_bytes, max_total, ignored, log):
    """Copy the regular files under ``src`` to ``dest``, following no link; return what was refused.

    A file over ``max_bytes``, or one that would take the copy over ``max_total`` bytes, is refused.

    Every folder is opened relative to its parent's descriptor without following links, and every
    file with O_NOFOLLOW and checked on its descriptor (so swapping it for a link in between does
    not help); ``ignored(folder, names)`` names what to leave out silently (CourseDirectory.ignore).
    """
    refused, total = [], 0
    top = os.lstat(src)
    if not stat.S_ISDIR(top.st_mode):
        return [f"{os.path.basename(src)}: {kind(top.st_mode)}, not a folder"]
    for folder, folders, files, folder_fd in os.fwalk(src, follow_symlinks=False):
        relative = os.path.relpath(folder, src)
        skip = set(ignored(folder, folders + files))
        folders[:] = [name for name in folders if name not in skip]
        os.makedirs(os.path.join(dest, relative), exist_ok=True)
        for name in files:  # fwalk lists links, fifos and devices among the files
            if name in skip:
                continue
            shown = os.path.normpath(os.path.join(relative, name))
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
            except OSError:  # ELOOP: a link
                refused.append(f"{shown}: {kind(os.lstat(name, dir_fd=folder_fd).st_mode)}")
                continue
            with open(fd, "rb") as source:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode):
                    refused.append(f"{shown}: {kind(info.st_mode)}")
                elif info.st_size > max_bytes:
                    refused.append(f"{shown}: {info.st_size:,} bytes, over the limit of {max_bytes:,}")
                elif total + info.st_size > max_total:
                    refused.append(f"{shown}: the submission would hold over {max_total:,} bytes")
                else:
                    total += info.st_size
                    with open(os.path.join(dest, relative, name), "xb") as target:
                        target.write(source.read(max_bytes + 1)[:max_bytes])
    for reason in refused:
        log.warning("not collected from %s: %s", src, reason)
    return refused


class RegularFilesCollect(ExchangeCollect):
    """nbgrader's collect, copying regular files only (see the module docstring)."""

    def init_src(self):
        super().init_src()
        bad = [record for record in self.src_records if not valid_student_id(record["username"])]
        for record in bad:
            self.log.error("not collected: %r is not a student id (%s)", record["username"], record["filename"])
        student = self.coursedir.student_id or "*"  # nbgrader's pattern: the folders it considers
        for path in sorted(glob.glob(os.path.join(glob.escape(self.inbound_path),
                                                  f"{student}+{glob.escape(self.coursedir.assignment_id)}+*"))):
            record = self._path_to_record(path)
            if valid_student_id(record["username"]) and self.made_by_another(record):
                self.log.error("not collected: %s names %s but was made by %s", record["filename"],
                               record["username"], self.made_by_another(record))
        self.src_records = [record for record in self.src_records
                            if record not in bad and not self.made_by_another(record)]

    def made_by_another(self, record):
        """The user who made an inbound folder, when students are users of the machine and it is not the
        one the folder names (a classmate's name on a later timestamp would replace their submission); else
        None. nbgrader only warns (``check_owner``); folders of the collecting user (a demo's students) pass."""
        if not self.check_owner:
            return None
        uid = os.lstat(os.path.join(self.inbound_path, record["filename"])).st_uid
        if uid == os.geteuid():
            return None
        try:
            owner = pwd.getpwuid(uid).pw_name
        except KeyError:
            owner = f"uid {uid}"
        return owner if owner != record["username"] else None

    def _sort_by_timestamp(self, records):
        """Latest first, the folders a classmate made after all: nbgrader collects the first."""
        return sorted(records, key=lambda record: (self.made_by_another(record) is None, record["timestamp"]),
                      reverse=True)

    def do_copy(self, src, dest, log=None):
        ignored = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include)
        copy_regular_files(src, dest, 1000 * self.coursedir.max_file_size, 1000 * self.coursedir.max_dir_size,
                           ignored, self.log)


class InstructorArchiveExtractor(ExtractorPlugin):
    """Extract the archives the instructor downloaded, and nothing inside them.

    Loose regular files in the archive folder are copied; each ``.zip`` there is read member by
    member: a member is written under its own base name, unless its name is unsafe (absolute,
    ``..``), it is a link, an archive itself (a student's upload: not opened), a duplicate of a
    name already extracted, or over ``max_bytes``; each of those is skipped and reported. File
    times are kept (the LMS's upload times), so that the collector can give a timestamp.
    """

    max_bytes = Integer(100_000_000, help="the largest file extracted or copied, in bytes").tag(config=True)

    def extract(self, archive_path, extracted_path):
        os.makedirs(extracted_path, exist_ok=True)
        for entry in sorted(os.scandir(archive_path), key=lambda entry: entry.name):
            if not entry.is_file(follow_symlinks=False):
                self.log.warning("zip-collect skips %s: not a regular file", entry.path)
            elif entry.name.endswith(".zip"):
                self.extract_zip(entry.path, extracted_path)
            elif entry.stat().st_size > self.max_bytes:
                self.log.warning("zip-collect skips %s: over %s bytes", entry.path, f"{self.max_bytes:,}")
            else:
                with open(entry.path, "rb") as source:
                    self.write(extracted_path, entry.name, source.read(), entry.stat().st_mtime)

    def extract_zip(self, path, extracted_path):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            self.log.error("zip-collect skips %s: %s", path, error)
            return
        with archive:
            for member in archive.infolist():
                problem = self.unsafe(member)
                if problem:
                    self.log.warning("zip-collect skips %s in %s: %s", member.filename, os.path.basename(path), problem)
                    continue
                when = datetime.datetime(*member.date_time).timestamp()
                self.write(extracted_path, os.path.basename(member.filename), archive.read(member), when)

    def unsafe(self, member):
        """Why a zip member must not be extracted, or None."""
        name = member.filename
        if member.is_dir():
            return None if not self.bad_path(name) else "an unsafe name"
        if self.bad_path(name):
            return "an unsafe name (absolute, or with ..)"
        if stat.S_ISLNK(member.external_attr >> 16):
            return "a link"
        if name.endswith((".zip", ".gz", ".tar", ".tgz", ".7z", ".rar")):
            return "an archive inside the instructor's archive (a student's upload): not extracted"
        if member.file_size > self.max_bytes:
            return f"{member.file_size:,} bytes, over the limit of {self.max_bytes:,}"
        return None

    @staticmethod
    def bad_path(name):
        parts = name.replace("\\", "/").split("/")
        return name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]

    def write(self, extracted_path, name, data, mtime):
        target = os.path.join(extracted_path, name)
        if name.startswith(".") or not name:
            self.log.warning("zip-collect skips %r: a hidden or empty name", name)
            return
        try:
            with open(target, "xb") as out:
                out.write(data)
        except FileExistsError:
            self.log.warning("zip-collect skips a second file named %s: the first one is kept", name)
            return
        os.utime(target, (mtime, mtime))


class LmsNameCollector(FileNameCollectorPlugin):
    """Student id and notebook from the name the LMS gave a file, ``<student id>_<notebook>``.

    The id is validated (see the module docstring); a file whose name gives no valid id, or a
    notebook name with a path in it, is skipped with a report. The file's time (the LMS's upload
    time, kept by the extractor) is the submission's timestamp.
    """

    named_regexp = Unicode(r"(?P<student_id>[^_]+)_(?P<file_id>[^/\\]+)").tag(config=True)

    def collect(self, submitted_file):
        name = os.path.basename(submitted_file)
        if os.path.splitext(name)[1] not in self.valid_ext:
            self.log.warning("zip-collect skips %s: not a notebook", name)
            return None
        match = re.fullmatch(self.named_regexp, name)
        if not match or not valid_student_id(match["student_id"]):
            self.log.warning("zip-collect skips %s: its name does not start with a valid student id", name)
            return None
        mtime = os.stat(submitted_file).st_mtime
        timestamp = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc)
        return {"student_id": match["student_id"], "file_id": match["file_id"],
                "timestamp": timestamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z")}


class ReleaseFeedbackWithoutExchange(ExchangeReleaseFeedback):
    """nbgrader's release_feedback, leaving out pages of students who did not submit through the exchange.

    A submission collected from an LMS has no ``submission_secret.txt`` (nor, from older
    collections, ``timestamp.txt``): its page stays in the feedback folder to be handed back
    through the LMS, and the release of everyone else's goes on.
    """

    def copy_files(self):
        folders = sorted({os.path.dirname(page) for page in glob.glob(os.path.join(self.src_path, "*.html"))})
        lms = [folder for folder in folders
               if not all((Path(folder) / name).is_file() for name in ("timestamp.txt", "submission_secret.txt"))]
        for folder in lms:
            self.log.warning("feedback in %s not released to the exchange: the submission did not come through "
                             "it (no submission secret); hand it back through the LMS", folder)
        excluded = {Path(folder).parent.name for folder in lms}
        if excluded:
            given = self.coursedir.student_id_exclude
            self.coursedir.student_id_exclude = ",".join(sorted(filter(None, [*given.split(","), *excluded])))
        try:
            super().copy_files()
        finally:
            if excluded:
                self.coursedir.student_id_exclude = given
