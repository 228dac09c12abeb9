"""News-style sentences as the statements they make: datelines, opening participles ('Founded in 2014
by ..., X employs ...'), '..., while B ...' clauses, and a surname said again as the full name."""

from __future__ import annotations

import re

from alas_assets.teacher.questions import is_first_name, main_verb
from alas_assets.teacher.spans import MONTHS, salient_spans

# A news article's dateline: 'FENNWICK, 3 March 2026 — '.
_DATELINE = re.compile(
    rf"^[A-Z][A-Z .'-]+,\s(?:[A-Z][a-z]+,\s)?"
    rf"(?:\d{{1,2}}\s(?:{MONTHS})(?:\s\d{{4}})?|(?:{MONTHS})\s\d{{1,2}}(?:,\s\d{{4}})?)\s[—–-]\s"
)
# An FAQ answer's opening 'Yes.' or 'No.'.
_ANSWER_WORD = re.compile(r"^(?:Yes|No)[.!,]\s+(?=[A-Z])")
# 'Founded in 2014 by A and B, Mereway employs ...': what was done to the subject, said before it.
_OPENING_PARTICIPLE = re.compile(
    r"^(?P<what>(?:Founded|Established|Launched|Created|Formed|Opened|Started|Built|Born|Based|Headquartered|"
    r"Released|Introduced|Developed|Designed|Written|Named|Elected|Appointed)\s[^,]+),\s(?P<rest>[A-Z].+)$"
)
# '..., while Lindqvist-Tan leads ...': a second statement about someone else.
_WHILE = re.compile(r",\s(?:while|whereas)\s(?=[A-Z])")


def news_clauses(text: str, people: dict[str, str]) -> list[str]:
    """The statements a news-style sentence makes: its dateline (or an FAQ's 'Yes.') dropped, a later
    surname as the full name, an opening participle as a statement of its own ('Mereway was founded in
    2014 by ...'), and a '..., while B ...' clause apart."""
    text = _ANSWER_WORD.sub("", _DATELINE.sub("", text))
    text = text[0].upper() + text[1:]
    if people:
        text = _SURNAME.sub(lambda m: _full_name(m, people), text)
    pieces = [text]
    opening = _OPENING_PARTICIPLE.match(text)
    if opening:
        rest = opening.group("rest")
        clause = main_verb(rest)
        if clause and clause.subject_end:
            subject = rest[: clause.subject_end].strip()
            what = opening.group("what")
            verb = "is" if what.split()[0] in ("Based", "Headquartered") else "was"
            pieces = [f"{subject} {verb} {what[0].lower()}{what[1:]}.", rest]
    result = []
    for piece in pieces:
        parts = _WHILE.split(piece.rstrip("."))
        result += [part.rstrip(".") + "." for part in parts]
    return result


_SURNAME = re.compile(r"(?<![\w'-])[A-Z][\w'-]+\b(?!\s[A-Z])")


def _full_name(match: re.Match[str], people: dict[str, str]) -> str:
    """A surname alone ('said Abernathy') as the full name said before; a full name stays as it is."""
    surname = match.group(0)
    full = people.get(surname)
    if not full or match.string[: match.start()].endswith(full[: -len(surname)]):
        return surname
    return full


def full_names(text: str) -> dict[str, str]:
    """The people a statement names in full, by surname."""
    return {
        s.text.split()[-1]: s.text
        for s in salient_spans(text)
        if s.kind == "name" and len(s.text.split()) in (2, 3) and is_first_name(s.text.split()[0])
    }
