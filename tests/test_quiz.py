"""Tests of trainlab.quiz: sealing hides answers, checking grades them, widget, text, CLI."""

import hashlib
import json
import subprocess
import sys

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from trainlab import quiz as quiz_module
from trainlab.quiz import LETTERS, QUIZZES, Choice, Feedback, Numeric, Quiz, Text, normalise, read_number, seal, shuffle

EXPLANATIONS = [
    "Cross entropy measures the expected surprise under the model.",
    "A uniform guess has loss $\\log 10$.",
    "It fuses the sigmoid and the binary cross entropy for stability.",
]
HINTS = ["Think of surprise.", "Every class has probability 1/10.", "Look in torch.nn."]
QUESTIONS = [
    Choice("What is cross entropy?", answer=1, explanation=EXPLANATIONS[0], hint=HINTS[0],
           options=["A distance metric", "Expected negative log-likelihood", "The accuracy"]),
    Numeric("Loss of a uniform guess over 10 classes (natural log)?", answer=2.302585, tolerance=0.01,
            explanation=EXPLANATIONS[1], hint=HINTS[1]),
    Text("Which torch loss takes logits for two classes?", explanation=EXPLANATIONS[2], hint=HINTS[2],
         answers=["BCEWithLogitsLoss", "binary_cross_entropy_with_logits"]),
]


def right_letter(chapter, questions, number=1):
    """The letter of question ``number``'s right option once the quiz is sealed (shuffled)."""
    return LETTERS[shuffle(chapter, questions)[number - 1].answer]


RIGHT = right_letter("01_losses", QUESTIONS)  # where sealing put the right option of question 1
WRONG = [x for x in "abc" if x != RIGHT]


@pytest.fixture
def quiz():
    return Quiz(seal("01_losses", QUESTIONS))


def sealed_text(chapter="01_losses"):
    return json.dumps(seal(chapter, QUESTIONS), indent=1, sort_keys=True, ensure_ascii=False)


def test_sealing_is_deterministic_and_depends_on_the_chapter():
    assert sealed_text() == sealed_text()
    assert sealed_text("01_losses") != sealed_text("02_optimisers")


def test_sealed_json_shows_prompts_and_hints_but_no_answer_or_explanation():
    text = sealed_text()
    for q in QUESTIONS:
        assert json.dumps(q.prompt)[1:-1] in text
    for option in QUESTIONS[0].options:
        assert option in text
    for hint in HINTS:
        assert hint in text
    for explanation in EXPLANATIONS:
        assert explanation not in text
        assert json.dumps(explanation)[1:-1] not in text
    assert "2.302585" not in text and "2.30" not in text
    lowered = text.lower()
    for answer in QUESTIONS[2].answers:
        assert answer.lower() not in lowered and normalise(answer) not in lowered

    def numbers(node):  # every number in the JSON: only the tolerance may be there, not the index 1
        if isinstance(node, dict):
            return [n for value in node.values() for n in numbers(value)]
        if isinstance(node, list):
            return [n for value in node for n in numbers(value)]
        return [node] if isinstance(node, (int, float)) else []

    assert numbers(json.loads(text)) == [0.01]


def test_the_stored_digest_is_not_the_encryption_key():
    entry = seal("01_losses", QUESTIONS)["questions"][0]["sealed"][0]
    ciphertext, key = bytes.fromhex(entry["explanation"]), bytes.fromhex(entry["digest"])
    blocks = range(len(ciphertext) // 32 + 1)
    stream = b"".join(hashlib.sha256(key + i.to_bytes(8, "big")).digest() for i in blocks)
    assert EXPLANATIONS[0].encode()[:8] not in bytes(a ^ b for a, b in zip(ciphertext, stream))


def test_choice_accepts_the_right_letter_only(quiz):
    right = quiz.check(1, RIGHT)
    assert right.correct and right.message == f"Correct! {EXPLANATIONS[0]}"
    assert quiz.check(1, f" {RIGHT.upper()}) ").correct
    assert quiz.questions[0]["options"][LETTERS.index(RIGHT)] == "Expected negative log-likelihood"
    for wrong in WRONG:
        feedback = quiz.check(1, wrong)
        assert not feedback.correct and feedback.message == f"Not quite. {HINTS[0]}"
        assert EXPLANATIONS[0] not in repr(feedback)


def test_numeric_accepts_nearby_values_and_rejects_far_ones(quiz):
    for x in (2.302585, 2.3, 2.31, "2.2974"):
        assert quiz.check(2, x).correct, x
    assert quiz.check(2, 2.3).message == f"Correct! {EXPLANATIONS[1]}"
    for x in (2.33, 2.27, 0, -2.302585, 23.02585):
        assert not quiz.check(2, x).correct, x


def test_text_accepts_every_answer_and_case_or_spacing_variants(quiz):
    variants = ["BCEWithLogitsLoss", "bcewithlogitsloss", "  BCE with logits loss ", '"BCEWithLogitsLoss()".',
                "binary_cross_entropy_with_logits", "Binary-Cross-Entropy With Logits",
                "ＢＣＥＷｉｔｈＬｏｇｉｔｓＬｏｓｓ"]  # the last in full-width letters (NFKC)
    for answer in variants:
        feedback = quiz.check(3, answer)
        assert feedback.correct, answer
        assert feedback.message == f"Correct! {EXPLANATIONS[2]}"
    for answer in ("BCELoss", "CrossEntropyLoss", "nn.BCEWithLogitsLoss.foo", "logits"):
        assert not quiz.check(3, answer).correct, answer


def test_normalise_rule():
    assert normalise("  Mean  Squared_Error. ") == "meansquarederror"
    assert normalise("«Straße»") == "strasse"
    assert normalise("a.b") == "a.b"  # inner punctuation other than _ and - is kept
    assert normalise("...") == ""


def test_feedback_without_explanation_or_hint_is_just_the_verdict():
    questions = [Choice("?", options=["yes", "no"], answer=0)]
    q, right = Quiz(seal("x", questions)), right_letter("x", questions)
    assert str(q.check(1, right)) == "Correct!" and str(q.check(1, "ab".replace(right, ""))) == "Not quite."
    assert isinstance(q.check(1, right), Feedback)


@pytest.mark.parametrize("number, answer, match", [
    (0, "a", "from 1 to 3"), (4, "a", "from 1 to 3"), ("1", "a", "from 1 to 3"),
    (1, "d", "letters a to c"), (1, "ab", "letters a to c"), (1, 2, "letters a to c"), (1, "", "letters a to c"),
    (2, "two", "a number"), (2, float("nan"), "a number"), (2, None, "a number"),
    (3, "  ", "short text"), (3, 5, "short text"),
])
def test_check_rejects_bad_input_with_a_clear_value_error(quiz, number, answer, match):
    with pytest.raises(ValueError, match=match):
        quiz.check(number, answer)


@pytest.mark.parametrize("bad", [
    lambda: Choice("?", options=["only"], answer=0),
    lambda: Choice("?", options=["a", "b"], answer=2),
    lambda: Choice("?", options=["a", "b", "a"], answer=0),
    lambda: Numeric("?", answer=1.0, tolerance=0),
    lambda: Numeric("?", answer=float("inf"), tolerance=0.1),
    lambda: Text("?", answers=[]),
    lambda: Text("?", answers=["--"]),
])
def test_authoring_mistakes_are_caught(bad):
    with pytest.raises(ValueError):
        bad()


@given(answer=st.floats(-1e3, 1e3), tolerance=st.floats(1e-3, 1e2), offset=st.floats(-0.5, 0.5),
       far=st.floats(2, 1e3), sign=st.sampled_from([-1, 1]))
@example(answer=0.0, tolerance=0.01, offset=0.5, far=2.0, sign=1)
# answers exactly half-way between multiples of the tolerance: the edges of the guarantee
@example(answer=0.25, tolerance=0.5, offset=0.5, far=2.0, sign=-1)
@example(answer=0.75, tolerance=0.5, offset=-0.5, far=2.0, sign=1)
@example(answer=-0.75, tolerance=0.5, offset=0.5, far=2.0, sign=-1)
@example(answer=0.75, tolerance=0.1, offset=-0.5, far=2.0, sign=1)  # needs the 1e-6 slack for rounding
def test_numeric_tolerance_property(answer, tolerance, offset, far, sign):
    q = Quiz(seal("p", [Numeric("?", answer=answer, tolerance=tolerance, explanation="yes")]))
    assert q.check(1, answer + offset * tolerance).correct
    assert not q.check(1, answer + sign * far * tolerance).correct


def question(quiz, number):
    """(prompt, entry, feedback) of question ``number`` in the widget (its first child is the theme's style)."""
    return quiz.widget().children[number].children


def click(quiz, number, value):
    """Set question ``number``'s input in the widget, press Check and return the feedback HTML."""
    prompt, entry, feedback = question(quiz, number)
    entry.value = value
    entry.check()
    return feedback.value


def test_widget_shows_explanation_when_right_and_hint_when_wrong(quiz):
    assert quiz.widget() is quiz.widget()
    prompt, entry, feedback = question(quiz, 1)
    assert entry.value is None and feedback.value == ""
    assert "What is cross entropy?" in prompt.value and f"{RIGHT}) Expected negative log-likelihood" in prompt.value

    assert "Not quite." in click(quiz, 1, WRONG[0]) and HINTS[0] in click(quiz, 1, WRONG[0])
    assert EXPLANATIONS[0] not in click(quiz, 1, WRONG[1])
    assert "Correct!" in click(quiz, 1, RIGHT) and EXPLANATIONS[0] in click(quiz, 1, RIGHT)

    wrong = click(quiz, 2, "3")
    assert HINTS[1] in wrong and EXPLANATIONS[1] not in wrong
    assert EXPLANATIONS[1] in click(quiz, 2, "2.3")
    assert EXPLANATIONS[1] in click(quiz, 2, "2,3")  # a decimal comma

    wrong = click(quiz, 3, "BCELoss")
    assert HINTS[2] in wrong and EXPLANATIONS[2] not in wrong
    assert EXPLANATIONS[2] in click(quiz, 3, "bce with logits loss")


def test_widget_escapes_html_and_renders_backticks_as_code():
    questions = [Choice("Is `f` causal for $x_{<t}$?", options=["yes <b>", "no"], answer=0,
                        explanation="Use `mask` & $a<b$.")]
    q = Quiz(seal("x", questions))
    prompt = question(q, 1)[0].value
    assert "<code>f</code>" in prompt and "$x_{&lt;t}$" in prompt and "yes &lt;b&gt;" in prompt
    assert "Use <code>mask</code> &amp; $a&lt;b$." in click(q, 1, right_letter("x", questions))


def test_widget_answers_bad_input_with_a_friendly_message(quiz):
    assert "Pick an option first." in click(quiz, 1, None)
    assert "Type your answer first." in click(quiz, 3, "")
    assert "Type your answer first." in click(quiz, 2, "")  # numbers start empty, not at 0
    assert "a number" in click(quiz, 2, "two")
    assert "short text" in click(quiz, 3, "  ")


def test_text_fallback_lists_prompts_and_options_but_no_explanation(quiz):
    text = str(quiz)
    for q in QUESTIONS:
        assert q.prompt in text
    for letter, option in zip("abc", shuffle("01_losses", QUESTIONS)[0].options):
        assert f"{letter}) {option}" in text
    assert "quiz.check(" in text
    for explanation in EXPLANATIONS:
        assert explanation not in text


def test_mimebundle_has_the_widget_and_the_text_fallback(quiz):
    bundle = quiz._repr_mimebundle_()
    assert bundle["text/plain"] == str(quiz)
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == quiz.widget().model_id


def test_load_reads_the_packaged_json(tmp_path, monkeypatch):
    monkeypatch.setattr(quiz_module, "QUIZZES", tmp_path)
    (tmp_path / "01_losses.json").write_text(sealed_text(), encoding="utf-8")
    loaded = Quiz.load("01_losses")
    assert loaded.chapter == "01_losses" and loaded.check(1, RIGHT).correct
    with pytest.raises(FileNotFoundError, match="available: 01_losses"):
        Quiz.load("99_nothing")


KEY = """
from trainlab.quiz import Choice, Numeric
QUESTIONS = [
    Choice("Pick $\\\\sigma$", options=["$\\\\sigma(z)$", "tanh"], answer=0, explanation="{explanation}"),
    Numeric("Two?", answer=2.0, tolerance=0.1),
]
"""


def cli(*args):
    command = [sys.executable, "-m", "trainlab.quiz", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True)


def test_cli_seals_and_detects_a_stale_quiz(tmp_path):
    keyfile = tmp_path / "03_demo" / "quiz_key.py"
    keyfile.parent.mkdir()
    keyfile.write_text(KEY.format(explanation="The logistic sigmoid."))
    out = tmp_path / "quizzes" / "03_demo.json"  # its folder does not exist yet

    assert cli("check-sealed", keyfile, out).returncode == 1  # not sealed yet
    assert cli("seal", keyfile, out).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text == json.dumps(json.loads(text), indent=1, sort_keys=True,
                                                       ensure_ascii=False) + "\n"
    sealed = Quiz(json.loads(text))
    right = next(x for x in "ab" if sealed.check(1, x).correct)
    assert sealed.chapter == "03_demo" and str(sealed.check(1, right)) == "Correct! The logistic sigmoid."
    assert sealed.questions[0]["options"]["ab".index(right)] == "$\\sigma(z)$"
    assert cli("check-sealed", keyfile, out).returncode == 0

    keyfile.write_text(KEY.format(explanation="The logistic sigmoid!"))
    result = cli("check-sealed", keyfile, out)
    assert result.returncode == 1 and "stale" in result.stdout
    assert out.read_text(encoding="utf-8") == text  # checking never rewrites


def test_import_is_light():
    code = "import sys, trainlab.quiz; print(sorted({'ipywidgets', 'torch'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_each_question_is_one_labelled_control_and_check_answers_its_message():
    q = Quiz(seal("x", QUESTIONS))
    (choice_prompt, choice, _), (number_prompt, number, feedback), _ = (question(q, n) for n in (1, 2, 3))
    assert (choice.kind, choice.options, number.kind, number.placeholder) == ("choice", ["a", "b", "c"], "numeric",
                                                                             "a number")
    # the radio group is labelled by the question, each radio by its option's text
    assert f'<div id="{choice.prompt_id}"><b>1.</b> What is cross entropy?</div>' in choice_prompt.value
    for option_id, text in zip(choice.option_ids, ["a) A distance metric", "b) Expected negative"]):
        assert f'<div id="{option_id}" ' in choice_prompt.value and text in choice_prompt.value
    assert f'id="{number.prompt_id}"' in number_prompt.value and number.prompt_id != choice.prompt_id
    number.value = "2.3"
    number._handle_custom_msg({"event": "check"}, [])  # what Enter or the Check button sends
    assert EXPLANATIONS[1] in feedback.value and 'class="trainlab-correct"' in feedback.value


def test_answers_are_saved_and_restored_when_the_quiz_is_built_again(tmp_path):
    progress = tmp_path / ".quiz_x.json"
    first = Quiz(seal("x", QUESTIONS), progress=progress)
    click(first, 1, "a")
    click(first, 2, "two")  # unreadable: not saved
    click(first, 3, "bce with logits loss")
    click(first, 1, "b")
    assert json.loads(progress.read_text())["answers"] == {"1": "b", "3": "bce with logits loss"}

    again = Quiz(seal("x", QUESTIONS), progress=progress)  # a restarted kernel runs the cell again
    assert again.saved_answers() == {1: "b", 3: "bce with logits loss"}
    (_, one, feedback_one), (_, two, feedback_two), (_, three, feedback_three) = (question(again, n) for n in (1, 2, 3))
    assert (one.value, two.value, three.value) == ("b", None, "bce with logits loss")
    assert EXPLANATIONS[0] in feedback_one.value and feedback_two.value == "" and EXPLANATIONS[2] in feedback_three.value


def test_a_broken_or_unwritable_progress_file_is_ignored(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    quiz = Quiz(seal("x", QUESTIONS), progress=broken)
    assert quiz.saved_answers() == {} and "Correct!" in click(quiz, 1, "b")
    assert "Correct!" in click(Quiz(seal("x", QUESTIONS), progress=tmp_path / "no" / "such" / "dir.json"), 1, "b")
    assert Quiz(seal("x", QUESTIONS)).saved_answers() == {}  # no progress file: nothing kept


def test_the_displayed_quiz_says_to_run_the_cell_again_when_it_is_not_live(tmp_path, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    monkeypatch.setattr(shell.display_pub, "publish", lambda data, **kwargs: shown.append(data))
    try:
        shell.display_formatter.format(Quiz(seal("x", QUESTIONS), progress=tmp_path / "p.json"))
    finally:
        InteractiveShell.clear_instance()  # later tests run outside IPython again
    note, widget = shown
    assert "run this cell again" in note["text/plain"] and 'class="trainlab-rerun"' in note["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in widget and widget["text/plain"].startswith("Self-check quiz")


def test_sealing_shuffles_deterministically_and_spreads_the_right_answers():
    questions = [Choice(f"Q{k}?", options=[f"right {k}", f"wrong {k}", f"other {k}", f"last {k}"], answer=0,
                        explanation=f"E{k}") for k in range(12)]
    assert shuffle("07_x", questions) == shuffle("07_x", questions)
    assert seal("07_x", questions) == seal("07_x", questions)
    shuffled = shuffle("07_x", questions)
    for original, sealed in zip(questions, shuffled):  # the same options, the same right one
        assert sorted(sealed.options) == sorted(original.options)
        assert sealed.options[sealed.answer] == original.options[original.answer]
    positions = [q.answer for q in shuffled]
    assert sorted(positions) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], positions
    assert positions[:4] != [0, 1, 2, 3]  # not a plain rotation a, b, c, d
    # the digest is of the shuffled index: the key's index 0 is right only where the shuffle left it
    quiz = Quiz(seal("07_x", questions))
    for number, position in enumerate(positions, 1):
        for letter in "abcd":
            assert quiz.check(number, letter).correct == (letter == LETTERS[position])


@pytest.mark.parametrize("text, whole, number", [
    ("1536", False, 1536), ("1,536", True, 1536), ("1,536,000", False, 1536000), ("12,345.6", False, 12345.6),
    ("2,3", False, 2.3), ("0,25", False, 0.25), ("2,3026", False, 2.3026), (" -1,5 ", False, -1.5),
    ("1 536", True, 1536), (6.99, False, 6.99),
])
def test_numbers_with_thousands_separators_and_decimal_commas(text, whole, number):
    assert read_number(text, whole=whole) == pytest.approx(number)


@pytest.mark.parametrize("text", ["1,536", "-12,345"])
def test_a_comma_that_could_be_either_is_ambiguous_unless_the_answer_is_whole(text):
    with pytest.raises(ValueError, match="ambiguous"):
        read_number(text)


def test_numeric_question_reads_thousands_separators():
    q = Quiz(seal("n", [Numeric("Parameters?", answer=1536, tolerance=1), Numeric("Ratio?", answer=1.5, tolerance=0.01)]))
    assert q.check(1, "1,536").correct and q.check(1, "1536").correct and not q.check(1, "1,540").correct
    assert q.check(2, "1,5").correct and q.check(2, "1.5").correct
    with pytest.raises(ValueError, match="ambiguous"):
        q.check(2, "1,500")


def choice_statistics(sealed):
    """Per sealed quiz: the right option's position and whether it is the longest, for each choice question."""
    quiz, rows = Quiz(sealed), []
    for number, q in enumerate(sealed["questions"], 1):
        if q["kind"] == "choice":
            right = next(i for i, letter in enumerate(LETTERS[: len(q["options"])]) if quiz.check(number, letter).correct)
            lengths = [len(o) for o in q["options"]]
            rows.append((right, lengths[right] > max(lengths[:right] + lengths[right + 1:])))
    return rows


def test_no_sealed_quiz_of_the_course_can_be_answered_from_its_layout():
    """Over every quiz shipped: the right answers don't favour one letter, nor the longest option."""
    rows = []
    for path in sorted(QUIZZES.glob("*.json")):
        chapter = choice_statistics(json.loads(path.read_text(encoding="utf-8")))
        positions = [LETTERS[p] for p, _ in chapter]
        print(f"{path.stem}: {len(chapter)} choice questions, right at {''.join(positions)}, "
              f"right option the longest in {sum(longest for _, longest in chapter)}")
        rows += chapter
    assert len(rows) >= 20, "the course's quizzes have fewer choice questions than expected"
    most = max(range(len(LETTERS)), key=[p for p, _ in rows].count)
    share = [p for p, _ in rows].count(most) / len(rows)
    longest = sum(longest for _, longest in rows) / len(rows)
    print(f"course: {len(rows)} choice questions, {share:.0%} right at '{LETTERS[most]}', "
          f"right option the longest in {longest:.0%}")
    assert share <= 0.40, f"{share:.0%} of the right answers are option {LETTERS[most]}"
    assert longest <= 1 / 3, f"the right option is the longest in {longest:.0%} of the choice questions"
