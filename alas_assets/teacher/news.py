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
# 'Under the agreement, Mereway will contribute ...': a framing phrase the fact reads (and is asked) without.
_FRAMING = re.compile(
    r"^(?:Under|According to|As part of|In a statement|In addition|As a result|For now)\b[^,]{0,60},\s(?=[A-Z])"
)
_OPENING_TIME = re.compile(
    rf"^(?P<when>(?:In|On|During|By)\s(?:(?:\d{{1,2}}\s)?(?:{MONTHS})\s)?(?:19|20)\d\d),?\s(?P<rest>(?:the|its|our|[A-Z])\S*\s[a-z].+)$"
)
_SO_FAR = re.compile(r"^So far,?\s(?P<rest>.+)$")
_ONLY_COUNT = re.compile(r"^(?:[Oo]nly|[Jj]ust)\s(?=\d)")  # 'Only 1,150 of the charts ...': the count is the fact
# An FAQ answer's opening 'Yes.' or 'No.'.
_ANSWER_WORD = re.compile(r"^(?:Yes|No)[.!,]\s+(?=[A-Z])")
# 'Founded in 2014 by A and B, Mereway employs ...': what was done to the subject, said before it.
_OPENING_PARTICIPLE = re.compile(
    r"^(?P<what>(?:Founded|Established|Launched|Created|Formed|Opened|Started|Built|Born|Based|Headquartered|"
    r"Released|Introduced|Developed|Designed|Written|Named|Elected|Appointed)\s[^,]+),\s(?P<rest>(?:[A-Z]|the\s).+)$"
)
# A person's full name: two or three capitalised words ('Marguerite Oyelaran').
FULL_NAME = r"[A-Z][\w'-]+(?:\s[A-Z][\w'-]+){1,2}"
# What a relative clause says, up to the comma that ends it (a thousands comma, as in '8,000', does not);
# the characters in {} do not occur in it.
_UNTIL_COMMA = r"(?P<does>[a-z](?:[^,;{}]|,(?=\d{{3}}))+?)(?=,(?!\d{{3}})|\.?$)"
# '... alongside councillor Tomasz Redfern, who chairs the city's transport committee.': a fact of the person;
# '`stale_after`, which defaults to 180 seconds,': the setting's (no other code span in it).
_WHO = re.compile(rf"(?P<name>{FULL_NAME}),\swho\s" + _UNTIL_COMMA.format(""))
_CODE_WHICH = re.compile(r"(?P<name>`[^`]+`),\swhich\s" + _UNTIL_COMMA.format("`"))
# '... the number 23 bus, which the authority will withdraw on 28 June 2026.': what someone does to the thing.
_DONE_TO = re.compile(
    r"(?P<thing>(?<![\w'])(?:the|a|an)\s[\w\s'-]+?),\swhich\s(?P<doer>the\s[a-z]+|[A-Z][\w-]+(?:\s[A-Z][\w-]+)*)\s"
    r"(?P<will>(?:will|would|can|could|must|has|had|plans\sto|intends\sto)\s[a-z]+)(?P<rest>[^,]*?)\.?$"
)
_AS_ROLE = re.compile(r"^As\s(?P<role>(?:the\s)?[a-z][\w\s'-]{2,80}?),\s(?P<pronoun>he|she|they)\b")
_WHOSE = re.compile(r",\swhose\s[^,]+,(?=\s[a-z])")
_CLAUSE_WHICH = re.compile(r"(?<=\d),\swhich\s(?:fixed|solved|resolved|meant|means|caused|causes)\s[^,]+,")
_NAME_WHICH = re.compile(
    r"^(?P<name>[A-Z][\w'-]*(?:\s(?:and|of|the|[A-Z][\w'-]*)){0,5}),\swhich\s(?P<does>[a-z][^,]+),\s(?P<rest>[a-z].+)$"
)
# '..., while Lindqvist-Tan leads ...', '..., but the departure boards needed ...': a second statement.
_WHILE = re.compile(
    r",\s(?:while|whereas)\s(?=[A-Z])|,\sbut\s(?=(?:the|a|an|its|their|our)\s(?:[a-z]+\s){1,3}[a-z]+ed\b)"
)


def news_clauses(text: str, people: dict[str, str]) -> tuple[list[str], list[str]]:
    """The statements a news-style sentence makes: its dateline (or an FAQ's 'Yes.') dropped, a later
    surname as the full name, an opening participle as a statement of its own ('Mereway was founded in
    2014 by ...'), a '..., while B ...' clause apart; and, apart, the statements its relative clauses make
    ('Tomasz Redfern chairs ...'), asides that no pronoun after the sentence stands for."""
    text = _FRAMING.sub("", _ANSWER_WORD.sub("", _DATELINE.sub("", text)))
    when = _OPENING_TIME.match(text)
    if when:  # 'In 2025 the museum welcomed 212,400 visitors, up from ...': '... 212,400 visitors in 2025, up from ...'
        rest, lead = when.group("rest"), when.group("when")
        head, comma, tail = rest.rstrip(".").partition(", ")
        text = f"{rest[0].upper()}{head[1:]} {lead[0].lower()}{lead[1:]}{comma}{tail}."
    so_far = _SO_FAR.match(text)
    if so_far:  # 'So far only 1,150 of them have been digitised.': '1,150 of them have been digitised so far.'
        text = f"{so_far.group('rest').rstrip('.')} so far."
    text = _ONLY_COUNT.sub("", text)
    text = text[0].upper() + text[1:]
    if people:
        text = _SURNAME.sub(lambda m: _full_name(m, people), text)
    quoted = _quoted(text)
    if quoted is not None:
        return quoted, []
    text, relatives = _relative_clauses(text)
    role = _AS_ROLE.match(text)
    if role:  # 'As head of digitisation at the museum, she runs ...': who she is, and what she does
        pronoun = role.group("pronoun")
        be = "are" if pronoun == "they" else "is"
        relatives.append(f"{pronoun.capitalize()} {be} {role.group('role')}.")
        text = pronoun.capitalize() + text[role.end() :]
    pieces = [text]
    opening = _OPENING_PARTICIPLE.match(text)
    if opening:
        rest = opening.group("rest")
        clause = main_verb(rest)
        if clause and clause.subject_end:
            subject = re.sub(r"\s(?:now|also|still|today|already)$", "", rest[: clause.subject_end].strip())
            what = opening.group("what")
            verb = "is" if what.split()[0] in ("Based", "Headquartered") else "was"
            subject, rest = subject[0].upper() + subject[1:], rest[0].upper() + rest[1:]
            pieces = [f"{subject} {verb} {what[0].lower()}{what[1:]}.", rest]
    result = []
    for piece in pieces:
        parts = _WHILE.split(piece.rstrip("."))
        result += [part[0].upper() + part[1:].rstrip(".") + "." for part in parts]
    return result, relatives


def _relative_clauses(text: str) -> tuple[str, list[str]]:
    """The sentence without its '..., who ...', '<name>, which ...,' and '..., which the authority will ...'
    clauses, and the statement each makes: 'Tomasz Redfern chairs the city's transport committee.', 'The
    authority will withdraw the number 23 bus on 28 June 2026.'"""
    said = []
    for pattern in (_WHO, _CODE_WHICH):  # ', who' says the name is a person's
        for relative in pattern.finditer(text):
            said.append(f"{relative.group('name')} {relative.group('does')}.")
            text = text.replace(relative.group(0), relative.group("name"), 1)
    text = _WHOSE.sub("", text)  # 'Lines 3, 12 and 15, whose first departures fell ..., were ...'
    text = _CLAUSE_WHICH.sub(",", text)  # '... at 07:20, which fixed the app, but ...': of the whole clause
    which = _NAME_WHICH.match(text)
    if which:  # 'Salt and Ink, which shows 60 of the charts ..., opens on ...': what it is and does
        said.append(f"{which.group('name')} {which.group('does')}.")
        text = f"{which.group('name')} {which.group('rest')}"
    done_to = _DONE_TO.search(text)
    if done_to:
        doer, thing = done_to.group("doer"), done_to.group("thing")
        said.append(f"{doer[0].upper()}{doer[1:]} {done_to.group('will')} {thing}{done_to.group('rest')}.")
        text = text[: done_to.start()] + thing + text[done_to.end() :].rstrip(".") + "."
    return text, said


# '"People in Harrowgate have waited ...," said Marguerite Oyelaran, chief executive of Fennwick Transit, at
# the opening ceremony.' and '"...," she says.': a quotation and who said it.
_QUOTATION = re.compile(
    r"^[\"“](?P<quote>[^\"“”]+?)[,.!?]?[\"”]\s"
    r"(?:(?P<verb>said|says)\s(?P<speaker>[^,]+?)|(?P<before>[Hh]e|[Ss]he|[A-Z][\w'-]+(?:\s[A-Z][\w'-]+){0,2})\s(?P<after>said|says))"
    r"(?P<tail>,\s.+?)?\.?$"
)
_PERSON = re.compile(FULL_NAME)
# A quotation in the first or second person ('We were lucky ...') says nothing of anyone by name.
_FIRST_PERSON = re.compile(r"\b(?:I|we|our|ours|us|me|my|you|your)\b", re.I)
_LOWER_OPENERS = {"the", "these", "this", "those", "that", "every", "each", "some", "many", "most", "all", "it"}
_LOWER_OPENERS |= {"there", "people", "a", "an", "no", "nothing", "everyone", "nobody"}


def _quoted(text: str) -> list[str] | None:
    """A quotation as what the speaker said ('Marguerite Oyelaran said that people in Harrowgate have
    waited ...'), and who the speaker is ('Marguerite Oyelaran is chief executive of Fennwick Transit.');
    None when the sentence quotes no one."""
    if re.fullmatch(r"[\"“][^\"“”]+[.!?]?[\"”]?\.?", text):
        return []  # '"This line is theirs now."': the quotation goes on, and says nothing of anyone by name
    match = _QUOTATION.match(text)
    if not match:
        return None
    speaker, verb = match.group("speaker") or match.group("before"), match.group("verb") or match.group("after")
    tail = [part.strip() for part in (match.group("tail") or "").split(",") if part.strip()]
    said: list[str] = []
    if tail and _PERSON.fullmatch(tail[0]) and not _PERSON.fullmatch(speaker):
        # 'said the museum's director, Marguerite Allsop': the role first, then the name
        said.append(f"{tail[0]} is {speaker}.")
        speaker, tail = tail[0], tail[1:]
    if _PERSON.fullmatch(speaker):
        for part in tail:
            if part.startswith("who "):
                said.append(f"{speaker} {part[4:]}.")
            elif re.match(r"(?:the\s|a\s|an\s|[a-z]+(?:\s[a-z]+)*\sof\s)", part):
                said.append(f"{speaker} is {part}.")
    elif speaker.lower() in ("he", "she"):
        speaker = speaker.capitalize()
    else:
        return said
    quote = match.group("quote").strip()
    if not _FIRST_PERSON.search(quote) and salient_spans(quote[1:]):  # a quotation that names something
        first, _, rest = quote.partition(" ")
        opening = first.lower() if first.lower() in _LOWER_OPENERS else first
        said.insert(0, f"{speaker} {verb} that {opening} {rest}.")
    return said


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
