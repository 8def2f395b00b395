"""Self-check quizzes with hashed answers and sealed explanations.

Instructors write questions with plain answers in a key file (``QUESTIONS = [Choice(...),
Numeric(...), Text(...)]``) and seal them into JSON that ships with the package::

    python -m trainlab.quiz seal solutions/01_losses/quiz_key.py lib/trainlab/quizzes/01_losses.json
    python -m trainlab.quiz check-sealed solutions/01_losses/quiz_key.py lib/trainlab/quizzes/01_losses.json

The JSON shows prompts, options, hints and tolerances, but each accepted answer only as a
salted sha256 digest, and the explanation XOR-encrypted with a key derived from that answer,
so it can be read only once the right answer is given. Students run ``Quiz.load("01_losses")``.
Prompts, options, hints and explanations are plain text with inline LaTeX such as ``$\\sigma(z)$``
and ``code`` in backticks; the widget escapes HTML and renders them with ``HTMLMath``.

Sealing shuffles the options of each choice question, deterministically (re-sealing reproduces
the file): the right option goes to the position it has held least often so far in the chapter
(ties broken by a hash of the salt), the others follow in hash order. So the right answers are
spread over the letters and the key's own order tells a student nothing.

Canonical answers (what is hashed):

- choice: the index of the right option *after shuffling*, ``str(index)``;
- numeric: ``str(n)`` with ``n = round(answer / tolerance)``. A student's ``x`` is accepted when
  ``|x / tolerance - n| <= 1`` (plus 1e-6 of slack for rounding): every integer that close to
  ``x / tolerance`` is hashed and compared. So any ``x`` within ``tolerance / 2`` of the answer
  is accepted and any ``x`` more than ``1.5 * tolerance`` (+ the slack) away is rejected;
- text: :func:`normalise`, one digest and explanation per accepted answer.

Numbers are read with ``.`` as the decimal point; a comma is a thousands separator where it can
only be one (``1,536,000``, ``12,345.6``), a decimal comma where it can only be one (``2,3``,
``0,25``, ``2,3026``). Where it could be either (``1,536``), it is read as thousands when the
question asks for a whole number (tolerance at least 1) and refused as ambiguous otherwise.

The answers are hidden, not secret: a determined student can brute-force small answer spaces.
"""

import hashlib
import html
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

QUIZZES = Path(__file__).parent / "quizzes"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def normalise(text):
    """NFKC, casefold, delete whitespace, ``_`` and ``-``, strip punctuation from both ends."""
    text = re.sub(r"[\s_-]+", "", unicodedata.normalize("NFKC", str(text)).casefold())
    while text and unicodedata.category(text[0]).startswith("P"):
        text = text[1:]
    while text and unicodedata.category(text[-1]).startswith("P"):
        text = text[:-1]
    return text


@dataclass(frozen=True)
class Choice:
    """Multiple choice; ``answer`` is the index of the correct option."""

    prompt: str
    options: list
    answer: int
    explanation: str = ""
    hint: str = ""
    kind = "choice"

    def __post_init__(self):
        if not 2 <= len(self.options) <= len(LETTERS) or not 0 <= self.answer < len(self.options):
            raise ValueError(f"{self.prompt!r}: need 2 to 26 options and 0 <= answer < {len(self.options)}")
        if len(set(self.options)) != len(self.options):
            raise ValueError(f"{self.prompt!r}: two options are the same")

    def canonical(self):
        return [str(self.answer)]

    def public(self):
        return {"options": list(self.options)}


@dataclass(frozen=True)
class Numeric:
    """A number; answers within ``tolerance / 2`` always count (see the module docstring)."""

    prompt: str
    answer: float
    tolerance: float
    explanation: str = ""
    hint: str = ""
    kind = "numeric"

    def __post_init__(self):
        if not (math.isfinite(self.answer) and self.tolerance > 0 and math.isfinite(self.tolerance)):
            raise ValueError(f"{self.prompt!r}: answer must be finite and tolerance positive")

    def canonical(self):
        return [str(round(self.answer / self.tolerance))]

    def public(self):
        return {"tolerance": self.tolerance}


@dataclass(frozen=True)
class Text:
    """A short text; every string in ``answers`` counts (compared after :func:`normalise`)."""

    prompt: str
    answers: list
    explanation: str = ""
    hint: str = ""
    kind = "text"

    def __post_init__(self):
        if not self.answers or not all(map(normalise, self.answers)):
            raise ValueError(f"{self.prompt!r}: need at least one non-empty answer")

    def canonical(self):
        return list(dict.fromkeys(map(normalise, self.answers)))

    def public(self):
        return {}


def _sha(*parts):
    return hashlib.sha256("\0".join(parts).encode()).digest()


def _xor(salt, canonical, data):
    """Encrypt or decrypt: XOR with a sha256 counter-mode keystream keyed on salt + answer."""
    key = _sha("key", salt, canonical)
    stream = b"".join(hashlib.sha256(key + i.to_bytes(8, "big")).digest() for i in range(len(data) // 32 + 1))
    return bytes(a ^ b for a, b in zip(data, stream))


def shuffle(chapter, questions):
    """The questions as sealed: each Choice's options reordered, ``answer`` pointing to the new place."""
    held = [0] * len(LETTERS)  # how often the right answer sits at each position so far
    shuffled = []
    for number, q in enumerate(questions, 1):
        if q.kind == "choice":
            salt = _salt(chapter, number)
            n = len(q.options)
            rank = lambda i: _sha("order", salt, str(i))
            target = min(range(n), key=lambda i: (held[i], rank(i)))
            others = sorted((i for i in range(n) if i != q.answer), key=lambda i: _sha("option", salt, str(i)))
            order = others[:target] + [q.answer] + others[target:]
            held[target] += 1
            q = Choice(q.prompt, [q.options[i] for i in order], target, q.explanation, q.hint)
        shuffled.append(q)
    return shuffled


def _salt(chapter, number):
    return _sha("salt", chapter, str(number)).hex()[:32]


def seal(chapter, questions):
    """The JSON-ready quiz: options shuffled, answers as salted digests, explanations encrypted. Deterministic."""
    sealed = []
    for number, q in enumerate(shuffle(chapter, questions), 1):
        salt = _salt(chapter, number)
        sealed.append({"kind": q.kind, "prompt": q.prompt, "hint": q.hint, "salt": salt, **q.public(),
                       "sealed": [{"digest": _sha("answer", salt, c).hex(),
                                   "explanation": _xor(salt, c, q.explanation.encode()).hex()}
                                  for c in q.canonical()]})
    return {"chapter": chapter, "questions": sealed}


def _html(text):
    """Markdown-ish text as HTML: escaped, `code` in backticks; MathJax reads the $...$."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer; its repr is the readable message."""

    correct: bool
    message: str

    def __repr__(self):
        return self.message

    __str__ = __repr__


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")


def read_number(answer, whole=False):
    """A student's number as a float; ValueError when it can't be read or is ambiguous.

    ``whole``: the question asks for a whole number, so ``1,536`` means 1536, not 1.536.
    """
    if isinstance(answer, str):
        text = answer.strip().replace(" ", "")
        thousands, decimal = _THOUSANDS.fullmatch(text), _DECIMAL_COMMA.fullmatch(text)
        if thousands and decimal and not whole:
            raise ValueError(f"{answer!r} is ambiguous: write {text.replace(',', '')} or "
                             f"{text.replace(',', '.')}, without the comma.")
        if thousands:
            text = text.replace(",", "")
        elif decimal:
            text = text.replace(",", ".")
        answer = text
    try:
        x = float(answer)
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x):
        raise ValueError(f"Answer with a number, e.g. 0.5, not {answer!r}.")
    return x


def _candidates(q, answer):
    """The canonical strings to try for a student's answer; ValueError when it can't be read."""
    if q["kind"] == "choice":
        letters = list(LETTERS[: len(q["options"])])
        letter = answer.strip().rstrip(")").lower() if isinstance(answer, str) else None
        if letter not in letters:
            raise ValueError(f'Answer with one of the letters a to {letters[-1]}, e.g. "b", not {answer!r}.')
        return [str(letters.index(letter))]
    if q["kind"] == "numeric":
        x = read_number(answer, whole=q["tolerance"] >= 1)
        u = x / q["tolerance"]
        return [str(n) for n in range(math.ceil(u - 1 - 1e-6), math.floor(u + 1 + 1e-6) + 1)]
    text = normalise(answer) if isinstance(answer, str) else ""
    if not text:
        raise ValueError(f"Answer with a short text, not {answer!r}.")
    return [text]


class Quiz:
    """A sealed quiz: ``quiz.check(number, answer)``, ``print(quiz)``, or show it as a widget.

    progress: a JSON file where the widget keeps the answers checked, restored when the widget is
    built again (after a kernel restart or a reload, when the cell runs again); None keeps nothing.
    """

    def __init__(self, sealed, progress=None):
        self.chapter, self.questions = sealed["chapter"], sealed["questions"]
        self.progress = None if progress is None else Path(progress)
        self._widget = None

    @classmethod
    def load(cls, chapter, progress="default"):
        """The quiz shipped for ``chapter``, e.g. ``Quiz.load("01_losses")``.

        Its answers are kept in ``.quiz_<chapter>.json`` in the current folder (the notebook's).
        """
        path = QUIZZES / f"{chapter}.json"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in QUIZZES.glob("*.json"))) or "none"
            raise FileNotFoundError(f"No quiz {chapter!r}; available: {known}.")
        if progress == "default":
            progress = Path.cwd() / f".quiz_{chapter}.json"
        return cls(json.loads(path.read_text(encoding="utf-8")), progress)

    def check(self, number, answer):
        """Check the answer to question ``number`` (from 1): a letter, a number or a short text."""
        if not (isinstance(number, int) and 1 <= number <= len(self.questions)):
            raise ValueError(f"Question numbers run from 1 to {len(self.questions)}, not {number!r}.")
        q = self.questions[number - 1]
        for c in _candidates(q, answer):
            for s in q["sealed"]:
                if _sha("answer", q["salt"], c).hex() == s["digest"]:
                    explanation = _xor(q["salt"], c, bytes.fromhex(s["explanation"])).decode()
                    return Feedback(True, f"Correct! {explanation}".strip())
        return Feedback(False, f"Not quite. {q['hint']}".strip())

    def __str__(self):
        lines = [f"Self-check quiz {self.chapter}: answer with quiz.check(number, answer),",
                 'e.g. quiz.check(1, "b") for option b) of question 1.']
        for number, q in enumerate(self.questions, 1):
            lines += ["", f"{number}. {q['prompt']}"]
            lines += [f"   {letter}) {o}" for letter, o in zip(LETTERS, q.get("options", []))]
            if q["kind"] != "choice":
                lines.append(f"   (a number, tolerance {q['tolerance']:g})" if q["kind"] == "numeric"
                             else "   (a short text)")
        return "\n".join(lines)

    def saved_answers(self):
        """{question number: the answer last checked in the widget}, from the progress file."""
        try:
            answers = json.loads(self.progress.read_text(encoding="utf-8"))["answers"]
            return {int(n): a for n, a in answers.items() if isinstance(a, str) and 1 <= int(n) <= len(self.questions)}
        except (AttributeError, OSError, ValueError, KeyError, TypeError):  # no file, or not ours
            return {}

    def _save(self, number, answer):
        answers = {**self.saved_answers(), number: answer}
        try:
            self.progress.write_text(json.dumps({"chapter": self.chapter, "answers": answers}, indent=1) + "\n",
                                     encoding="utf-8")
        except OSError:  # a read-only folder: the quiz still works, it only forgets
            pass

    def widget(self):
        """The quiz as widgets (built once): per question its text, an accessible input with Check
        (see trainlab.quiz_widget), and the feedback; answers saved before are filled in and checked."""
        if self._widget is None:
            import uuid

            import ipywidgets as w

            from .canvas import themed
            from .quiz_widget import Answer

            key, saved, boxes = uuid.uuid4().hex[:8], self.saved_answers(), []
            for number, q in enumerate(self.questions, 1):
                prompt_id = f"trainlab-quiz-{key}-{number}"
                letters = list(LETTERS[: len(q.get("options", []))])
                option_ids = [f"{prompt_id}-{x}" for x in letters]
                prompt = f'<div id="{prompt_id}"><b>{number}.</b> {_html(q["prompt"])}</div>' + "".join(
                    f'<div id="{i}" style="padding-left:1.5em;text-indent:-1.5em">{x}) {_html(o)}</div>'
                    for i, x, o in zip(option_ids, letters, q.get("options", [])))
                entry = Answer(kind=q["kind"], options=letters, option_ids=option_ids, prompt_id=prompt_id,
                               placeholder={"numeric": "a number", "text": "your answer"}.get(q["kind"], ""))
                feedback = w.HTMLMath()
                entry.on_check(lambda n=number, e=entry, f=feedback: self._show(n, e.value, f))
                if number in saved:
                    entry.value = saved[number]
                    self._show(number, entry.value, feedback, save=False)
                boxes.append(w.VBox([w.HTMLMath(prompt), entry, feedback], layout=w.Layout(margin="0 0 1.2em 0")))
            self._widget = themed(boxes)
            self._widget.add_class("trainlab-quiz")
        return self._widget

    def _show(self, number, answer, feedback, save=True):
        try:
            result = self.check(number, answer)
        except ValueError as error:
            message = {None: "Pick an option first.", "": "Type your answer first."}.get(answer, str(error))
            feedback.value = f'<div class="trainlab-note" role="status">{_html(message)}</div>'
            return
        if save and self.progress is not None:
            self._save(number, answer)
        kind = "correct" if result.correct else "wrong"
        feedback.value = f'<div class="trainlab-{kind}" role="status">{_html(result.message)}</div>'

    def _repr_mimebundle_(self, **kwargs):
        """The widget for JupyterLab, with the plain text of ``str(quiz)`` as fallback."""
        return {**self.widget()._repr_mimebundle_(**kwargs), "text/plain": str(self)}

    def _ipython_display_(self):
        """A line saying to run the cell again (hidden while the quiz is live), then the quiz."""
        from IPython.display import display

        note = ("This quiz is not connected to a running kernel (the page was reloaded or the kernel "
                "restarted): run this cell again to answer it" +
                ("; the answers you checked come back." if self.progress else "."))
        display({"text/html": f'<p class="trainlab-rerun">{html.escape(note)}</p>', "text/plain": note}, raw=True)
        display(self._repr_mimebundle_(), raw=True)


def _sealed_text(keyfile):
    import runpy

    path = Path(keyfile).resolve()
    questions = runpy.run_path(str(path))["QUESTIONS"]
    return json.dumps(seal(path.parent.name, questions), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv=None):
    """``seal KEYFILE JSONFILE`` writes the sealed quiz; ``check-sealed`` exits 1 when it is stale."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m trainlab.quiz", description=main.__doc__)
    parser.add_argument("command", choices=["seal", "check-sealed"])
    parser.add_argument("keyfile", help="Python file defining QUESTIONS; its folder name is the chapter")
    parser.add_argument("jsonfile")
    args = parser.parse_args(argv)
    text, out = _sealed_text(args.keyfile), Path(args.jsonfile)
    if args.command == "seal":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        return 0
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        print(f"{out} is stale: run python -m trainlab.quiz seal {args.keyfile} {out}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
