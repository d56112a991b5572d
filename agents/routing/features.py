"""What the routing classifier sees of a message: folded words, word pairs and character n-grams.

One function serves training and prediction, so a trained model and the code that runs it can
never disagree about a feature. Character n-grams carry typos, missing accents, slang and the
three languages' shared roots ("factur", "cobr", "pesso") without any word list.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

_NUMBER = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
CHAR_SIZES = (2, 3, 4, 5)


def fold(text: str) -> str:
    """Lower case, accents stripped, every non-alphanumeric run turned into one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def features(text: str) -> list[str]:
    """The feature strings of one message (repeats count, as term frequency)."""
    # Every number looks alike: "INV-1041" and "INV-2042" should weigh the same.
    folded = _NUMBER.sub("0", fold(text))
    words = folded.split()
    found = [f"w:{word}" for word in words]
    found += [f"b:{first} {second}" for first, second in pairwise(words)]
    padded = f" {folded} "
    for size in CHAR_SIZES:
        found += [f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1)]
    found += _shape(text, words)
    return found


def _shape(text: str, words: list[str]) -> list[str]:
    """A few marks of how the message is written, which words alone do not show."""
    marks = [f"len:{min(len(words), 6)}"]
    letters = [c for c in text if c.isalpha()]
    if not letters:
        marks.append("shape:no_letters")
    elif len(letters) >= 4 and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        marks.append("shape:caps")
    if "?" in text:
        marks.append("shape:question")
    if "!" in text:
        marks.append("shape:exclaim")
    return marks
