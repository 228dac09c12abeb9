"""The other names a document gives a thing, so that a fact is also asked by them.

People ask about a thing by whichever name they know: "Debian Trixie" for Debian 13, "ESU" for
Extended Security Updates, "Pope Leo XIV" for the cardinal who took that name. A document says so
in a few set ways, read here:

- "Debian 13, codenamed Trixie", "metal-organic frameworks, known as MOFs"
- "Cardinal Robert Francis Prevost took the name Leo XIV"
- "Extended Security Updates (ESU)": an acronym of the words before it
- a titled person's surname: "Cardinal Robert Francis Prevost" is also "Prevost"
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NAME = r"`[^`]+`|[A-Z0-9][\w+'-]*(?:\.\w+)*(?:\s(?:of\s)?[A-Z0-9][\w+'-]*(?:\.\w+)*){0,4}"
_PHRASE = r"(?:[A-Z0-9][\w-]*\s)?[a-z][a-z-]+\s[a-z][a-z-]+|[A-Z0-9][\w-]*\s[a-z][a-z-]+"
_CALLED = re.compile(
    rf"(?P<thing>{_NAME}|{_PHRASE}),\s(?:codenamed|code-named|known as|also called|nicknamed)\s(?P<alias>{_NAME})"
)
_TOOK_NAME = re.compile(rf"(?P<thing>{_NAME})\s(?:took|chose|adopted) the (?:papal )?name\s(?P<alias>{_NAME})")
_ACRONYM = re.compile(r"(?P<words>(?:[A-Z][\w-]*\s){1,5}[A-Z][\w-]*)\s\((?P<alias>[A-Z]{2,6}s?)\)")
_TITLED = re.compile(
    r"\b(?P<title>Cardinal|Pope|President|Professor|Dr|Sir|Bishop)\s(?P<names>(?:[A-Z][a-z]+\s){1,3}[A-Z][a-z]+)"
)
_TITLE_OF = re.compile(r"\b(?P<title>Pope|King|Queen|Saint|President)\s(?P<name>[A-Z][a-z]+\s[IVXLC]+)\b")


def _initials(words: str) -> str:
    return "".join(w[0] for w in re.split(r"[\s-]+", words) if w)


def aliases(texts: Iterable[str]) -> dict[str, set[str]]:
    """Each name the texts give another name for, with all its other names (both ways, transitively)."""
    texts = list(texts)
    pairs: list[tuple[str, str]] = []
    for text in texts:
        for match in _CALLED.finditer(text):
            pairs.append((match.group("thing"), match.group("alias")))
            version = re.fullmatch(r"(?P<name>[A-Z][\w+-]*)\s\d[\w.]*", match.group("thing"))
            if version and not match.group("alias").startswith("`"):  # 'Debian 13, codenamed Trixie': 'Debian Trixie'
                pairs.append((match.group("thing"), f"{version.group('name')} {match.group('alias')}"))
        for match in _TOOK_NAME.finditer(text):
            pairs.append((match.group("thing"), match.group("alias")))
        for match in _ACRONYM.finditer(text):
            words, acronym = match.group("words").split(), match.group("alias").rstrip("s")
            for start in range(len(words)):  # the shortest tail of the words whose initials it is
                if _initials(" ".join(words[start:])).upper() == acronym:
                    pairs.append((" ".join(words[start:]), match.group("alias")))
                    break
        for match in _TITLED.finditer(text):
            names = match.group("names").split()
            pairs.append((match.group(0), names[-1]))
            if len(names) > 2:
                pairs.append((match.group(0), f"{names[0]} {names[-1]}"))
        for match in _TITLE_OF.finditer(text):
            pairs.append((match.group(0), match.group("name")))
    groups: dict[str, set[str]] = {}
    for first, second in pairs:
        if first == second:
            continue
        group = groups.get(first, {first}) | groups.get(second, {second})
        for name in list(group):
            group |= groups.get(name, set())
        for name in group:
            groups[name] = group
    return {name: group - {name} for name, group in groups.items()}


def with_alias(question: str, names: dict[str, set[str]], answer: str, turn: int = 0) -> str | None:
    """The question with one name it says replaced by another name of the same thing, or None.

    The longest name in the question is replaced, by one of its other names that neither the
    question nor the answer already says (a question must not give its answer away); ``turn``
    picks which, so that a fact's questions go through the other names in turn."""
    said = sorted(
        (n for n in names if re.search(rf"(?<![\w`]){re.escape(n)}(?![\w`])", question)), key=len, reverse=True
    )
    for name in said:
        if name in answer or answer in name:
            continue
        others = sorted(o for o in names[name] if o not in question and o not in answer and answer not in o)
        if others:
            other = others[turn % len(others)]
            return re.sub(rf"(?<![\w`]){re.escape(name)}(?![\w`])", other.replace("\\", r"\\"), question, count=1)
    return None
