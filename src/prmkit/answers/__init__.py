r"""Final answers: the one extractor, canonicaliser and grader every part of prmkit uses.

Labelling grades rollouts with it, Best-of-N grades and groups candidates with
it, search votes with it. A candidate's answer is an :class:`Answer` (the
extracted text and its canonical key) or a typed :class:`NoAnswer`; extraction
never raises. Two answers are equivalent when their canonical keys are equal,
else (unless both are exact numbers or letters) when math-verify says so, in a
worker process under a wall-clock limit per comparison.

>>> a = extract_answer(r"... so the area is $\boxed{\dfrac{1}{2}}$.")
>>> a.text, a.key
('\\dfrac{1}{2}', '1/2')
>>> extract_answer(r"\fbox{42}").key, extract_answer("#### 1,072").key, extract_answer("The answer is (b)", "choice").key
('42', '1072', 'B')
>>> grade_answer(a, "0.5"), grade_answer(extract_answer("I am not sure."), "0.5")
(True, False)
>>> group_answers(["4", "4.0", r"\frac{8}{2}", "5", None])
(0, 0, 0, 1, -1)
"""

from prmkit.answers._answer import Answer, AnswerStyle, NoAnswer, as_answer, extract_answer
from prmkit.answers._canon import canonical_key
from prmkit.answers._grade import (
    DEFAULT_TIMEOUT_S,
    answers_equivalent,
    compare_answers,
    grade_answer,
    group_answers,
)
from prmkit.answers._verify import Verdict

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "Answer",
    "AnswerStyle",
    "NoAnswer",
    "Verdict",
    "answers_equivalent",
    "as_answer",
    "canonical_key",
    "compare_answers",
    "extract_answer",
    "grade_answer",
    "group_answers",
]
