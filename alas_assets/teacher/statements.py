"""The statements of a document as people write it: paragraphs, lists and tables, pronouns resolved.

A statement is one sentence (or one clause of a sentence joined by ';', one list item, one table
row) with what it refers to made explicit: "It ..." and "This release ..." name the document's
subject, "He ..." the person named last. Its ``quote`` is the text exactly as the source has it, so
a pair built on it can cite the source; its ``text`` is what questions are asked about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alas_assets.research.corpus import inline_text
from alas_assets.teacher.news import FULL_NAME, full_names, news_clauses
from alas_assets.teacher.questions import (
    NOT_PERSON_WORDS,
    VERSION_LIST,
    is_base_verb,
    is_first_name,
    is_noun_or_name,
    is_plural_noun,
    main_verb,
    participles,
    verb_lemma,
    without_opening_adverbial,
)
from alas_assets.teacher.spans import salient_spans

_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "Mr.", "Mrs.", "Ms.", "Dr.", "St.", "No.", "Inc.", "Ltd.", "approx.")
# A sentence ends before a capital, a digit or a quote, or before a lowercase product's release ('... kept
# winter time. routekit 3.2.0 is not affected.'); a ';' ends a clause.
_SENTENCE_END = re.compile(r"(?<=[.!?])[*_)\"”’]*\s+(?=[\"“*_(`A-ZÀ-Þ0-9]|[a-z][\w-]*\s\d+\.\d)|;\s+(?=[a-zA-Z`])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_LABEL = re.compile(r"^\*\*(?P<label>[^*]+?)\*\*[:.]?\s*")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}")
# Sentence openings that stand for the document's subject, and for the person named last.
_RELEASE_PRONOUNS = re.compile(r"^(?:This release|This version|This update|The new release)(?=\s)")
_IT = re.compile(r"^It(?=\s)(?!\s+is\s+(?:now\s+|also\s+)?(?:possible|worth|time|important|easy|hard))")
_PERSON_PRONOUNS = re.compile(r"^(?:He|She)(?=\s)")
# 'this release' inside a statement names the document's subject too: 'The release manager for this version'.
_RELEASE_MENTION = re.compile(r"(?<=\s)(?:this|the new) (?:release|version|update)\b")
# 'It is now possible to run ...': what the subject now lets you do.
_POSSIBLE = re.compile(r"^It is (?P<now>now |also )?possible to (?=[a-z])")
_TITLE_NOISE = re.compile(
    r"^(?:what's new in|what is new in|introducing|announcing|about|the)\s+"
    r"|\s+(?:release notes|is released|released|announced)$",
    re.I,
)


@dataclass(frozen=True)
class Statement:
    text: str  # with pronouns resolved and Markdown emphasis dropped
    quote: str  # exactly as the source has it
    section: str = ""  # the heading (or list label) it stands under
    kind: str = "sentence"  # or "row": a table row read as a statement
    header: tuple[str, ...] = ()  # a row's column headings


def document_subject(title: str) -> str:
    """What the document is about, from its title: 'What's new in Python 3.14' -> 'Python 3.14',
    'WLSA-2026-03 - path traversal in snapshot restore' -> 'WLSA-2026-03'."""
    named = re.match(r"^(?P<name>[A-Z0-9][\w.+-]*(?:\s[A-Z0-9][\w.+-]*){0,3})(?:\s[-–—]\s|:\s)", title.strip())
    if named:
        return named.group("name")
    cleaned = _TITLE_NOISE.sub("", title.strip()).strip()
    cleaned = _TITLE_NOISE.sub("", cleaned).strip()
    versions = [s for s in salient_spans(cleaned) if s.kind == "version"]
    if versions:
        return versions[0].text
    how_to = _HOW_TO_TITLE.match(cleaned)
    if how_to:  # 'Using realtime delays in routekit': the page is about routekit
        return how_to.group("name")
    headline = main_verb(cleaned + ".") if " - " not in cleaned else None
    if (
        headline
        and not headline.aux
        and re.match(r"[A-Z0-9]", cleaned)
        and len(cleaned[: headline.subject_end].split()) <= 4
    ):
        return cleaned[: headline.subject_end].strip()  # 'Harrowgate tram extension opens to passengers'
    return cleaned or title


# A how-to page's title: a gerund, then the product it is about ('Configuring alerts in Grafana').
_HOW_TO_TITLE = re.compile(r"^[A-Z][a-z]+ing\s.+?\s(?:in|with|for)\s(?P<name>[\w.+-]+(?:\s[A-Z0-9][\w.+-]*){0,2})$")


def split_clauses(text: str) -> list[str]:
    """Sentences, and clauses joined by ';', of a paragraph; abbreviations do not end a sentence."""
    protected = text
    for i, abbreviation in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbreviation, f"\x00{i}\x00")
    pieces = [p for p in _SENTENCE_END.split(protected) if p and p.strip()]
    restored = []
    for piece in pieces:
        for i, abbreviation in enumerate(_ABBREVIATIONS):
            piece = piece.replace(f"\x00{i}\x00", abbreviation)
        restored.append(piece.strip())
    return restored


def _blocks(body: str) -> list[tuple[str, str, list[str]]]:
    """(kind, section, lines) of the body: 'text' paragraphs and list items, 'table' rows."""
    blocks: list[tuple[str, str, list[str]]] = []
    section, paragraph, table = "", [], []

    def flush() -> None:
        nonlocal paragraph, table
        if paragraph:
            blocks.append(("text", section, [" ".join(paragraph)]))
        if table:
            blocks.append(("table", section, table))
        paragraph, table = [], []

    fenced, code = False, []

    def code_block() -> None:
        """A code block is no statement; its first line completes a paragraph that ends with ':' ('run:')."""
        nonlocal code
        lines = [c for c in code if c.strip()]
        if lines and blocks and blocks[-1][0] == "text" and blocks[-1][2][0].rstrip().endswith(":"):
            kind, where, (text,) = blocks[-1]
            command = lines[0].strip().replace("`", "")
            said = text.rstrip().rstrip(":")
            joined = "" if re.search(r"\b(?:run|type|enter|use|call|execute|like this|this)$", said) else " with"
            blocks[-1] = (kind, where, [f"{said}{joined} `{command}`."])
        code = []

    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith("```") or line.startswith("~~~"):
            flush()
            if fenced:
                code_block()
            fenced = not fenced
            continue
        if fenced or (raw.startswith(("    ", "\t")) and not paragraph and not table and (code or line)):
            flush()
            code.append(line)
            continue
        if code:
            code_block()
        if not line:
            flush()
        elif line.startswith("#"):
            flush()
            section = inline_text(line.lstrip("#").strip())
        elif line.startswith("|"):
            if paragraph:
                blocks.append(("text", section, [" ".join(paragraph)]))
                paragraph = []
            table.append(line)
        elif _LIST_ITEM.match(line):
            flush()
            blocks.append(("item", section, [_LIST_ITEM.sub("", line, count=1)]))
        elif table:
            flush()
            paragraph.append(line)
        else:
            paragraph.append(line)
    flush()
    if code:
        code_block()
    return blocks


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _table_statements(rows: list[str], subject: str, section: str) -> list[Statement]:
    """One statement per row: '<first cell> in <subject>: <second cell>; <header> <cell> ...'."""
    data = [r for r in rows if not _TABLE_RULE.match(r)]
    if len(data) < 2:
        return []
    header = [inline_text(c) for c in _cells(data[0])]
    statements = []
    for row in data[1:]:
        cells = _cells(row)
        if len(cells) != len(header) or not cells[0]:
            continue
        facts = [
            f"{inline_text(cells[0])}: {inline_text(c)}" if i == 1 else f"{header[i]} {inline_text(c)}"
            for i, c in enumerate(cells)
            if i and c
        ]
        if not facts:
            continue
        text = f"{facts[0].split(': ', 1)[0]} in {subject}: {'; '.join([facts[0].split(': ', 1)[1]] + facts[1:])}."
        statements.append(Statement(text=text, quote=row.strip(), section=section, kind="row", header=tuple(header)))
        statements += [
            Statement(text=sentence, quote=row.strip(), section=section)
            for cell in cells[1:]
            if (
                sentence := _predicate_cell(inline_text(cells[0]), inline_text(cell))
                or _passive_cell(inline_text(cells[0]), subject, inline_text(cell))
            )
        ]
    return statements


def _predicate_cell(key: str, cell: str) -> str | None:
    """A cell that opens with a verb says something the row's first cell did ('| NumPy 2.3.2 | Added
    wheels for Python 3.14.0rc1 |'): read as its own sentence, 'NumPy 2.3.2 added wheels for Python
    3.14.0rc1.', it is asked as people ask it ('Which NumPy version added wheels for ...?')."""
    if not cell or not cell[0].isupper() or len(cell.split()) < 2:
        return None
    sentence = f"{key} {cell[0].lower()}{cell[1:].rstrip('.')}."
    clause = main_verb(sentence)
    return sentence if clause is not None and clause.subject_end == len(key) + 1 and not clause.aux else None


_PASSIVE_CELL = re.compile(
    r"^(?P<thing>[A-Z][\w.-]*(?:\s+[\w.`-]+){0,5}?)\s+(?:is\s+|are\s+|was\s+|were\s+)?(?P<participle>[a-z]+ed)"
    r"(?P<rest>(?:\s+(?:to|from|by|in|at)\s+.+)?)$"
)


def _passive_cell(key: str, subject: str, cell: str) -> str | None:
    """A cell that says what was done to something ('| MariaDB | Support for MariaDB 10.5 is dropped |',
    '| PBKDF2 password hasher | Iteration count raised to 1,200,000 |'): read as what the document's
    subject did, 'Django 6.0 drops support for MariaDB 10.5.', with the row's key where the cell
    leaves it out ('Django 6.0 raises the PBKDF2 password hasher iteration count to 1,200,000.'),
    it is asked as people ask it ('Which MariaDB version does Django 6.0 drop support for?')."""
    passive = _PASSIVE_CELL.match(cell.rstrip("."))
    lemma = verb_lemma(passive.group("participle")) if passive and subject else None
    if not lemma or passive.group("participle") not in participles(lemma):
        return None
    thing = passive.group("thing")
    if any(verb_lemma(word) for word in thing.split()[1:]):
        return None  # 'Python 3.12 support was added': no subject of its own before the participle
    thing = thing[0].lower() + thing[1:] if not thing.split()[0].isupper() else thing
    if key.lower() not in thing.lower():
        thing = f"the {key} {thing}"
    return f"{subject} {_third_person(lemma)} {thing}{passive.group('rest')}."


def _third_person(lemma: str) -> str:
    from lemminflect import getInflection

    return (getInflection(lemma, "VBZ") or (lemma + "s",))[0]


# After "X has/adds/introduces Y", "It" is most often the Y just introduced; otherwise the subject.
_INTRODUCING = re.compile(
    r"\s(?:now\s+|also\s+)?(?:has|have|adds|added|introduces|introduced|gains|gained|offers|offered|released|ships|shipped"
    r"|provides|brings|brought)\s+(?P<object>[^,.;:]+)"
)
_FINITE = re.compile(r"\s(?:is|are|was|were|has|have|had|can|will|must|does|did|\w+(?:s|ed))\s")


_BARE_PLURAL_SUBJECT = re.compile(r"^(?P<head>[A-Z][a-z]+s)\s(?P<verb>[a-z]+)\b")
_ALL_OF_THEM = re.compile(r"^(?:All|Both|Each) of them(?=\s)")


def _plural_antecedent(previous: str) -> str:
    """What 'They' stands for when no people were listed: a plural the statement before introduced
    ('... stabilizes async closures') or opened with ('Generated columns now default ...'), or ''."""
    introduced = _INTRODUCING.search(previous) or re.search(
        r"\s(?:now\s+|also\s+)?(?:stabiliz|stabilis|support|deprecat|remov)(?:es|ed)\s+(?P<object>[^,.;:]+)", previous
    )
    if introduced:
        phrase = re.split(r"\s(?:to|for|in|on|with|from|by|as|which|that|so)\s|,", introduced.group("object"))[0]
        phrase = phrase.strip()
        if phrase and is_plural_noun(phrase.split()[-1]):
            return re.sub(r"^(?:a|an)\s", "", phrase)
    clause = main_verb(previous)
    head = previous[: clause.subject_end].strip() if clause else ""
    bare = _BARE_PLURAL_SUBJECT.match(previous)
    if not head and bare and verb_lemma(bare.group("verb"), base=True):
        head = bare.group("head").lower()  # 'Businesses pay more.': a plural and its verb in the base form
    head = re.sub(r"\s(?:now|also|still|no longer)$", "", head)
    if head and len(head.split()) <= 5 and is_plural_noun(head.split()[-1]) and not head.startswith(("They", "These")):
        first = head.split()[0].lower()
        common = first == "the" or not is_noun_or_name(first)  # 'Let chains' reads 'let chains'; 'Python' stays
        return head[0].lower() + head[1:] if common else head
    return ""


def _antecedent(previous: str, subject: str) -> str:
    """What 'It' at the start of a statement stands for, from the statement before it."""
    if not previous:
        return subject
    setting = re.search(
        r"\b(?:set|controlled|configured|given|called|named)\s(?:by\s)?(`[^`]+`)\.?$", previous.rstrip()
    ) or re.match(r"(`[^`]+`)\s(?:is|was|sets|controls|limits)\b", previous)
    if setting:  # '... set by `min_control_points`. It defaults to 10', '`max_residual_px` is ... It ...'
        return setting.group(1)
    introduced = _INTRODUCING.search(previous)
    if introduced and not re.match(r"(?:on|in|at|by|to|for|from|with)\b", introduced.group("object")):
        phrase = introduced.group("object").strip()
        phrase = re.split(r"\s(?:to|for|in|on|with|from|by|as|which|that|so)\s", phrase)[0]
        return re.sub(r"^(?:a|an)\s", "the ", phrase)
    equated = _EQUATED.match(previous)
    if equated:  # 'The headline of this release is Slipway, ...': 'It' is Slipway
        return equated.group("name")
    head = _subject_of(previous)
    if (
        previous.startswith(("You ", "We ")) and "`" in previous
    ):  # 'Run `x --check`. It reports ...': the thing just run
        return re.findall(r"`[^`]+`", previous)[-1]
    named = [s.text for s in salient_spans(previous) if s.kind == "version"]
    if head and not re.search(r"[A-Z0-9`]", head[1:]) and named:  # 'The usual way forward is ... Windows 11'
        return named[-1]
    if head and not head.lower().startswith(("it ", "they ", "this ", "these ", "there ")) and len(head.split()) <= 8:
        return head[0].lower() + head[1:] if head.split()[0] in ("The", "A", "An") else head
    return subject


_EQUATED = re.compile(r"(?:The|Its)\s[a-z][^,]*?\s(?:is|was)\s(?P<name>[A-Z][\w.+-]*(?:\s[A-Z0-9][\w.+-]*)*)")


# An opening adverbial before the subject: 'From 2015 to 2023 he served ...', 'At the same time it ...'.
_LEAD = re.compile(
    r"^(?P<lead>(?:At|In|On|From|Since|After|Before|By|During|Until|Later|As)\b[^,]{0,60}?,?\s)(?P<pronoun>he|she|it)\b"
)
_THEY = re.compile(r"^(?:They|The three|The two|Both)(?=\s)")
_PEOPLE = re.compile(
    r"(?:[A-Z][\w'-]+\s){1,3}[A-Z][\w'-]+(?:,\s(?:[A-Z][\w'-]+\s){1,3}[A-Z][\w'-]+)*,?\s(?:and|or)\s(?:[A-Z][\w'-]+\s){1,3}[A-Z][\w'-]+"
)


# Definite descriptions that open a statement and stand for a name said before: 'The company' for
# the organisation that opened the statement before, 'The operating system' for the document's subject.
_ORGANISATION = re.compile(r"^The (?:company|firm|organi[sz]ation|startup|lab|laboratory|vendor)(?=\s)")
_THING = re.compile(
    r"^The (?:operating system|software|product|model|language|framework|database|distribution|project|browser"
    r"|kernel|engine)(?=\s)"
)
_OBJECT_IT = re.compile(
    r"^(?P<head>[A-Z][\w.-]*(?:\s[A-Z0-9][\w.-]*){0,3}\s(?:[a-z]+ly\s)?[a-z]+s)\sit(?=\s(?:as|to|for|with|in|on)\b)"
)


def _subject_of(statement: str) -> str:
    """The words before the statement's verb, or ''. main_verb first ('A built-in background tasks
    framework lives ...': 'tasks' is no verb), else the first word that looks finite; an opening
    adverbial is no part of it ('In June 2024 the company raised ...': 'the company')."""
    statement = without_opening_adverbial(statement)
    clause = main_verb(statement)
    verb = _FINITE.search(statement)
    end = clause.subject_end if clause else verb.start() if verb else 0
    return statement[:end].strip()


def _opening_name(previous: str) -> str:
    """The name that opens the statement before ('OpenAI released ...' -> 'OpenAI'), or ''."""
    head = _subject_of(previous)
    return head if re.fullmatch(r"[A-Z][\w.-]*(?:\s[A-Z0-9][\w.-]*){0,3}", head) else ""


_THOSE_VERSIONS = re.compile(r"\b(?:those|these) (?:versions|releases)\b")


def _those_versions(text: str, previous: str) -> str:
    """'... supports Python 3.10 and 3.11, so projects still on those versions ...': the versions listed
    just before (in the statement, else the one before it) stand in for 'those versions'."""
    those = _THOSE_VERSIONS.search(text)
    if not those:
        return text
    listed = list(VERSION_LIST.finditer(text, 0, those.start())) or list(VERSION_LIST.finditer(previous))
    if not listed or not listed[-1].group("name"):
        return text
    return text[: those.start()] + listed[-1].group(0) + text[those.end() :]


def _resolve(text: str, subject: str, person: str, previous: str) -> str:
    text = _those_versions(_descriptions(text, subject, previous), previous)
    lead = _LEAD.match(text)
    if lead:  # the pronoun after an opening adverbial, resolved as if it opened the statement
        tail = text[lead.start("pronoun") :]
        opening = tail[0].upper() + tail[1:]
        resolved = _resolve(opening, subject, person, previous)
        if resolved == opening:
            return text
        adverbial = lead.group("lead").strip().rstrip(",")  # 'On the network it answers ...': '... on the network.'
        return f"{resolved.rstrip('.')} {adverbial[0].lower()}{adverbial[1:]}."
    if subject and subject.lower() not in text.lower():
        text = _RELEASE_MENTION.sub(subject, text, count=1)
    possible = _POSSIBLE.match(text)
    if possible and subject:
        return f"{subject} can {possible.group('now') or ''}{text[possible.end() :]}"
    if _RELEASE_PRONOUNS.match(text):
        return _RELEASE_PRONOUNS.sub(subject, text, count=1)
    if _IT.match(text):
        antecedent = _antecedent(previous, subject)
        return antecedent[0].upper() + antecedent[1:] + text[2:]
    if person and _PERSON_PRONOUNS.match(text):
        text = _PERSON_PRONOUNS.sub(person, text, count=1)
    if person and re.match(r"(?:His|Her)\s[a-z]", text):  # 'Her book, ...': the person's book
        text = f"{person}'s {text.split(' ', 1)[1]}"
    if _THEY.match(text):  # 'They' after a list of people: the people; else the plural said before
        people = _PEOPLE.search(previous)
        if people:
            return _THEY.sub(people.group(0), text, count=1)
        plural = _plural_antecedent(previous)
        if plural and text.startswith("They "):
            return plural[0].upper() + plural[1:] + text[4:]
    all_of_them = _ALL_OF_THEM.match(text)
    counted = re.search(r"\bthe (?P<count>two|three|four|five|six|seven|eight|nine|ten) (?P<noun>[a-z]+s)\b", previous)
    if all_of_them and counted:
        count = "Both" if counted.group("count") == "two" else f"All {counted.group('count')}"
        return f"{count} {counted.group('noun')}{text[all_of_them.end() :]}"
    if person and not text.startswith(person):
        owner = re.search(r"(?<=\s)her\s(?=[a-z]+)(?!(?:the|a|an|to|as|for|with|in|on|at|by|from|that)\b)", text)
        if owner:  # 'which took her team three days': her team is the person's
            text = f"{text[: owner.start()]}{person}'s {text[owner.end() :]}"
        else:
            text = re.sub(r"(?<=\s)(?:him|her)(?=[\s,.])", person, text, count=1)
    counted_before = re.search(r"\b\d[\d,.]*\s(?P<noun>[a-z]+s)\b", previous)
    if counted_before and is_plural_noun(counted_before.group("noun")):
        # 'So far only 1,150 of them ...' after '... the scanning of 4,300 charts ...': of the charts
        text = re.sub(r"(?<=\d\s)of them\b", f"of the {counted_before.group('noun')}", text, count=1)
    if re.search(r"(?<=\s)them(?=[\s,.:;])", text) and not text.startswith("They "):
        # '... stabilized them for ...' after 'Let chains arrived ...': what 'them' stands for
        people = _PEOPLE.search(previous)
        plural = people.group(0) if people else _plural_antecedent(previous)
        if plural:
            text = re.sub(r"(?<=\s)them(?=[\s,.:;])", plural, text, count=1)
    return text


_THIS_CODE = re.compile(r"^(?:This|That|The) (?:command|function|method|call|option|setting|key|flag)\b")


def _named_code(text: str, before: str) -> str:
    """'Run `x check`.' then 'This command prints ...' (or 'This prints ...'): the command just given, also
    across a paragraph."""
    named = _THIS_CODE.match(text)
    code = re.findall(r"`[^`]+`", before) if named else []
    if not named:  # 'Check your points with `vellumkit check ...`. This prints ...': the command does it
        named = re.match(r"^This(?=\s[a-z]+s\b)", text)
        code = re.findall(r"`[a-z][\w.-]*\s[^`=]+`", before) if named else []
    return f"{code[-1]}{text[named.end() :]}" if code else text


def _descriptions(text: str, subject: str, previous: str) -> str:
    """'The company describes it ...' after 'OpenAI released GPT-5 ...' -> 'OpenAI describes GPT-5 ...';
    'The operating system had been released ...' in a document about Windows 10 -> 'Windows 10 had ...'."""
    organisation = _opening_name(previous)
    if organisation and _ORGANISATION.match(text):
        text = _ORGANISATION.sub(organisation, text, count=1)
    elif _THING.match(text) and subject and re.search(r"[A-Z0-9]", subject):
        text = _THING.sub(subject, text, count=1)
    it = _OBJECT_IT.match(text)
    if it and subject and not it.group("head").startswith(subject):  # the object 'it' is the document's subject
        text = f"{it.group('head')} {subject}{text[it.end() :]}"
        # '..., and it became available ...': the same 'it', not the statement's subject
        text = re.sub(r",\s(and|but)\sit\s", lambda m: f", {m.group(1)} {subject} ", text, count=1)
    return text


_SPEAKER = re.compile(rf"[,\"”]\s(?:said|says)\s(?P<after>{FULL_NAME})|(?P<before>{FULL_NAME})\s(?:said|says)\b")


def _person(text: str, person: str) -> str:
    """The person later 'He'/'She' stands for: a person that opens the statement, the one it quotes, the
    first one it names by a first name, else the one before."""
    names = [s for s in salient_spans(text) if s.kind == "name" and s.text.split()[-1].lower() not in NOT_PERSON_WORDS]
    opening = [s for s in names if s.start == 0]
    if opening and (len(opening[0].text.split()) >= 2 or opening[0].text in person):
        return re.sub(r"'s$", "", opening[0].text) if len(opening[0].text.split()) >= 2 else person
    speaker = _SPEAKER.search(text)
    if speaker:  # '"...," said Marguerite Oyelaran': the one quoted is the 'She' that follows
        return speaker.group("after") or speaker.group("before")
    people = [s.text for s in names if len(s.text.split()) >= 2 and not s.text.endswith("'s")]
    named = [name for name in people if is_first_name(name.split()[0])]
    if named:  # 'The opening keynote will be given by Anouk Verhaegen': the 'She' of the next sentence
        return named[0]
    if not person:
        return people[0] if people else ""
    return person


# A linking adverb set off by commas ('It requires a TPM, however, and ...') ties the statement to the one
# before; the fact reads (and is asked) without it.
_LINKING_ADVERB = re.compile(r",\s(?:however|though|therefore|moreover|in turn)(?=[,.;]|$)")


def statements(title: str, body: str, min_words: int = 4) -> list[Statement]:
    """Every statement of a document, in document order."""
    subject = document_subject(title)
    company = _IS_COMPANY.search(body)
    person, previous, intro = "", "", ""
    people: dict[str, str] = {}  # surname -> the full name said first ('Abernathy' -> 'Ruth Abernathy')
    result: list[Statement] = []
    for kind, section, lines in _blocks(body):
        if kind == "table":
            result += _table_statements(lines, subject, section)
            previous = intro = ""
            continue
        line = lines[0]
        byline = _BYLINE.match(inline_text(line)) if kind == "text" else None
        if byline:  # '*By Daniel Osei, staff engineer*': who wrote it, and who they are
            name, role = byline.group("name"), byline.group("role")
            wrote = f"{name} wrote the article about {subject}."
            result.append(Statement(text=wrote, quote=line.strip(), section=section))
            if role:
                role = role if re.match(r"(?:the|a|an|[A-Z])\b", role) else f"a {role}"
                result.append(Statement(text=f"{name} is {role}.", quote=line.strip(), section=section))
            continue
        label = _LABEL.match(line)
        if label:  # "**Template strings (PEP 750).** A new kind ...": the label is the item's section
            section = inline_text(label.group("label")).rstrip(".:")
            line = line[label.end() :]
            value = inline_text(line).rstrip(". ")
            if value.startswith(", ") and re.match(r"(?:the|a|an)\s", value[2:]):  # '**Wrenlog Cloud**, a hosted ...'
                result += [
                    Statement(text=text, quote=lines[0].strip(), section=section)
                    for text in described(section, value[2:])
                ]
                continue
            field = ":" in label.group(0)  # '**Severity:** High (CVSS score 8.1)'
            if field and value and len(value.split()) <= 12 and main_verb(f"{value}.") is None:
                result += [
                    Statement(text=text, quote=lines[0].strip(), section=section)
                    for text in _field_statements(section, subject, value)
                ]
                continue
            reference = _REFERENCE.match(section)
            if reference:  # ... and says which proposal specifies it
                verb = "are" if reference.group("name").endswith("s") else "is"
                text = f"{reference.group('name')} {verb} specified in {reference.group('ref')}."
                result.append(Statement(text=text, quote=section, section=section))
        carried = previous
        if kind == "text":
            previous = ""
        clauses = split_clauses(line)
        for number, clause in enumerate(clauses):
            text = _LINKING_ADVERB.sub("", inline_text(clause)).rstrip(";:,. ")
            if len(text.split()) < min_words and not (kind == "item" and intro):
                if text:  # too short to teach ('Businesses pay more.'), but what a pronoun after it means
                    previous = text[0].upper() + text[1:] + "."
                continue
            if kind == "item" and intro and number == 0:  # "Consumers can enrol in one of several ways: buy ..."
                text = _item_with_intro(intro, text)
            # '...; vehicle positions and service alerts are ignored': a clause of the sentence, its first word no name
            joined = number > 0 and kind == "text" and text[:1].islower()
            text = _counted_list(text if joined else text[0].upper() + text[1:]) + "."
            pieces, asides = news_clauses(text, people)
            for piece, aside in [(p, False) for p in pieces] + [(a, True) for a in asides]:
                resolved = _resolve(_named_code(_imperative(piece), previous or carried), subject, person, previous)
                if company and company.group("name") not in resolved:
                    resolved = _THE_COMPANY.sub(lambda m: company.group("name") + (m.group("owner") or ""), resolved, 1)
                for part in _conjoined_predicates(resolved):
                    if person:  # '..., and she gave the prize money to ...': she is the person said before
                        part = _PERSON_PRONOUNS.sub(person, part, count=1)
                    for said in _appositions(part):
                        result.append(Statement(text=said, quote=_raw_quote(clause), section=section))
                people.update(full_names(resolved))
                if not aside and not joined:  # 'It' after '...; b ...' or after an aside is still the sentence's
                    person = _person(resolved, person)
                    previous = resolved
        if kind == "text":
            intro = inline_text(line).rstrip().rstrip(":") if line.rstrip().endswith(":") else ""
            intro = split_clauses(intro)[-1] if intro else ""
    return result


_PARENTHESISED_FIGURE = re.compile(r"^(?P<value>[^()]+?)\s*\((?P<what>[A-Za-z][\w -]*?)\s(?P<figure>\d[\d.,]*)\)$")


def _field_statements(field: str, subject: str, value: str) -> list[str]:
    """A labelled field with a value and no verb, '**Severity:** High (CVSS score 8.1)' in WLSA-2026-03:
    'The severity of WLSA-2026-03 is High.' and, for the figure in brackets, 'The CVSS score of
    WLSA-2026-03 is 8.1.'"""
    field = field if field.split()[0].isupper() else field[0].lower() + field[1:]
    figure = _PARENTHESISED_FIGURE.match(value)
    if not figure:
        return [f"The {field} of {subject} is {value}."]
    return [
        f"The {field} of {subject} is {figure.group('value')}.",
        f"The {figure.group('what')} of {subject} is {figure.group('figure')}.",
    ]


# 'Halyard Data is the company behind Wrenlog': later, 'In June 2024 the company raised ...' is Halyard Data.
_IS_COMPANY = re.compile(
    r"(?P<name>[A-Z][\w.-]*(?:\s[A-Z][\w.-]*){0,3}) is (?:the|a|an) (?:[a-z-]+ ){0,3}(?:company|firm|startup|vendor)\b"
)
_THE_COMPANY = re.compile(r"(?:(?<=\s)the|^The) (?:company|firm|startup|vendor)(?P<owner>'s)?(?=[\s,.])")


_REFERENCE = re.compile(
    r"^(?P<name>[^()]+?)\s\((?P<ref>(?:PEP|RFC|JEP|KEP|NEP|ISO)[\s-]?\d+(?:(?:,\s|\sand\s)(?:PEP|RFC|JEP|KEP|NEP|ISO)?[\s-]?\d+)*)\)$"
)
_KINDS_INTRO = re.compile(
    r"^(?P<head>.+?\s)(?:two|three|four|five|six|several|many|\d+)\s(?:kinds|types|sorts|forms)\sof\s[a-z]+$"
)
_BYLINE = re.compile(r"^By (?P<name>(?:[A-Z][\w'-]+\s){1,3}[A-Z][\w'-]+)(?:,\s(?P<role>[^.]+))?\.?$")
_MODAL_INTRO = re.compile(r"^(?P<subject>.+?\s(?:can|may|must|will|should|could))\s")
_LEADING_PLACE = re.compile(r"^(?P<place>(?:in|on|at|for|with|from|through)\s[^,]+),\s(?P<rest>.+)$", re.I)


def _item_with_intro(intro: str, item: str) -> str:
    """A list item read with the sentence that introduces it: 'Consumers can enrol in one of several
    ways:' + 'buy one year ...' -> 'Consumers can buy one year ...'; otherwise '<intro>: <item>'."""
    modal = _MODAL_INTRO.match(intro)
    place = _LEADING_PLACE.match(item)
    if place:  # 'in the European Economic Area, enrol for free' -> 'enrol for free in the ...'
        item = f"{place.group('rest')} {place.group('place')[0].lower()}{place.group('place')[1:]}"
    kinds = _KINDS_INTRO.match(intro)
    if kinds:  # '4.1 supports two kinds of destination:' + 'Azure Blob Storage' -> '4.1 supports Azure Blob Storage'
        return f"{kinds.group('head')}{item}"
    first = item.split()[0].lower()
    if modal and is_base_verb(first):
        return f"{modal.group('subject')} {first}{item[len(first) :]}"
    return f"{intro}: {item[0].lower() + item[1:]}"


_COUNTED_LIST = re.compile(
    r"^(?P<head>.+\s)(?P<count>(?:two|three|four|five|six|seven|eight|nine|ten|several|\d+)\s[a-z]+s):\s(?P<items>.+)$"
)


def _counted_list(text: str) -> str:
    """'The API offers three sizes: A, B and C' -> 'The API offers the three sizes A, B and C': the
    items read as part of the clause, so that a question about them keeps its verb."""
    match = _COUNTED_LIST.match(text)
    if not match:
        return text
    items = re.split(r",\s(?:and\s|or\s)?|\s(?:and|or)\s", match.group("items"))
    if not 2 <= len(items) <= 8 or any(len(item.split()) > 4 for item in items):
        return text
    return f"{match.group('head')}the {match.group('count')} {match.group('items')}"


_APPOSITION = re.compile(
    r"^(?P<name>[A-Z][\w.'-]*(?:\s[A-Z0-9][\w.'-]*){0,3}),\s(?P<description>(?:the|a|an)\s[^,]{3,100}),\s(?P<rest>[a-z].+)$"
)


_ONE_NAMED = re.compile(r"^(?P<head>.+?)\s(?:only\s)?(?:one|a|an|the)\s(?P<noun>[a-z]+),\s(?P<code>`[^`]+`)\.$")
_CALLED_NAME = re.compile(
    r"^(?P<head>(?:The|Its|Their|A|An)\s[^,]+),\s(?:called|named|known as)\s(?P<name>[A-Z`][^,]+),\s(?P<rest>[a-z].+)$"
)
_DESCRIBED_NAME = re.compile(
    r"^(?P<role>(?:The|A|An)\s[a-z][^,]{2,60}),\s(?P<name>[A-Z][\w'-]*(?:\s(?:[A-Z][\w'-]*|\d[\w.]*)){0,2}),\s"
    r"(?P<rest>[a-z].+)$"
)
_RELATIVE = re.compile(r"^(?P<what>(?:the|a|an)\s[^,]+?)\s(?:that|which|who)\s(?P<does>[a-z][^,]+)$")


_PARTICIPLE = re.compile(
    r"^(?P<name>The\s[a-z]+|[A-Z][\w.'-]*(?:\s[A-Z0-9][\w.'-]*){0,3}),\s"
    r"(?P<participle>(?:released|launched|published|announced|founded|born|elected|chaired|led|run|owned|built|"
    r"designed|developed|written|organised|organized|funded|hosted|operated|maintained|created)\s"
    r"(?:on|in|by|at|from)\s[^,]{3,60}),\s"
    r"(?P<rest>[a-z].+)$"
)


# 'Trams run every 8 minutes at peak times and every 12 minutes in the evening': two frequencies, each a fact.
_TWO_FREQUENCIES = re.compile(
    r"^(?P<head>.+?\s)(?P<first>every\s\d[\d.,]*\s[a-z]+\b[^,]*?),?\sand\s(?P<second>every\s\d[\d.,]*\s[a-z]+\b.*?)\.$"
)


def _conjoined_predicates(text: str) -> list[str]:
    """'A real-time router looks at each request and chooses between ...' says two things of one
    subject: 'A real-time router looks at each request.' and 'A real-time router chooses between ...'
    (each asked with its subject). The second verb must be finite in the first one's tense, in the
    same clause, and what follows it must not need the first half for a pronoun."""
    frequencies = _TWO_FREQUENCIES.match(text)
    if frequencies:
        head = frequencies.group("head")
        return [f"{head}{frequencies.group('first')}.", f"{head}{frequencies.group('second')}."]
    clause = main_verb(text)
    if clause is not None and clause.subject_end and (person := _person_clause(text, clause.subject_end)):
        return person
    both = _TWO_DESCRIPTIONS.match(text)
    if both and clause is not None and clause.subject_end == both.end("subject") + 1:
        # 'It is the first major release since 3.0 and the work of 212 contributors': two things it is
        head = f"{both.group('subject')} {both.group('be')}"
        return [f"{head} {both.group('first')}.", f"{head} {both.group('second')}"]
    if clause is not None and clause.aux and clause.subject_end:
        # 'The next release is planned for August 2026 and will add support for ...': two things it does
        second = re.search(r"\sand\s(?=(?:will|can|would|could|must|is|was|has|had)\s[a-z])", text[clause.verb_end :])
        if second and "," not in text[clause.verb_end : clause.verb_end + second.start()]:
            subject = text[: clause.subject_end].strip()
            first = text[: clause.verb_end + second.start()].rstrip(",")
            rest = text[clause.verb_end + second.end() :]
            if not re.search(r"\b(?:him|her|it|them)\b", rest):
                return [f"{first}.", f"{subject} {rest}"]
    if clause is None or clause.aux or not clause.subject_end:
        return [text]
    code = [m.span() for m in re.finditer(r"`[^`]*`", text)]
    for match in re.finditer(r"(?<=[a-z)]) and (?P<verb>[a-z]+) ", text[clause.verb_end :]):
        where = clause.verb_end + match.start("verb")
        verb = match.group("verb")
        between = text[clause.verb_end : clause.verb_end + match.start()]
        if "," in between or any(start < where < end for start, end in code) or verb_lemma(verb) is None:
            continue  # a later clause's verb ('..., so a journal can be opened ... and is closed')
        if re.search(r"\b(?:him|her|it|them)\b", text[where:]):
            return [text]  # 'and appointed him ...': the pronoun needs the first half
        same_tense = verb.endswith("s") == clause.verb.endswith("s") and (verb == verb_lemma(verb)) == (
            clause.verb == clause.lemma
        )
        if not same_tense:
            continue
        subject = text[: clause.subject_end].strip()
        first = text[: clause.verb_end + match.start()].rstrip(",")
        second = f"{subject} {text[where:]}"
        second_clause = main_verb(second)
        if second_clause is None or second_clause.subject_end != len(subject) + 1:
            continue
        return [f"{first}.", second]
    return [text]


_TWO_DESCRIPTIONS = re.compile(
    r"^(?P<subject>[^,]+?) (?P<be>is|was) (?P<first>the [^,]+?) and (?P<second>(?:the|a|an) [^,]+\.)$"
)
_AND_HE = re.compile(r",\s(?:and|but)\s(?:he|she)\s(?=[a-z])")


def _person_clause(text: str, subject_end: int) -> list[str] | None:
    """'Leo XIV is the 267th pope ..., and he is the first pope born in the United States': two
    statements about one person, the second with its name ('Leo XIV is the first pope born in ...'),
    so that each is asked with its subject ('Who is the first pope born in the United States?')."""
    subject = text[:subject_end].strip()
    pronoun = _AND_HE.search(text, subject_end)
    names = [s for s in salient_spans(subject) if s.kind == "name" and s.start == 0 and s.end == len(subject)]
    if not pronoun or not names:
        return None
    second = f"{subject} {text[pronoun.end() :]}"
    clause = main_verb(second)
    if clause is None or clause.subject_end != len(subject) + 1:
        return None
    return [f"{text[: pronoun.start()]}.", second]


def _appositions(text: str) -> list[str]:
    """'WrenFest, the annual conference for ..., is coming to Ghent.' -> 'WrenFest is coming to
    Ghent.' and 'WrenFest is the annual conference for ...': each says one fact with its name."""
    one = _ONE_NAMED.match(text)
    if one:  # 'Tideline needs only one key, `feed_url`.': 'Tideline needs the key `feed_url`.'
        return [f"{one.group('head')} the {one.group('noun')} {one.group('code')}."]
    called = _CALLED_NAME.match(text)
    if called:  # 'Its realtime layer, called Tideline, lets it ...': what the name does, and what it names
        name, head = called.group("name"), called.group("head")
        return [f"{name} {called.group('rest')}", f"{head} is called {name}."]
    participle = _PARTICIPLE.match(text)
    if participle:  # 'Rust 1.88.0, released on 26 June 2025, stabilized ...': two facts of one name
        name = participle.group("name")
        return [f"{name} {participle.group('rest')}", f"{name} was {participle.group('participle')}."]
    described_name = _DESCRIBED_NAME.match(text)
    if described_name:
        # 'The on-call engineer, Henrike Osei, was paged ...', 'A new tiling backend, Marlpit, writes ...': what the
        # name does, and what it is
        name, role = described_name.group("name"), described_name.group("role")
        said = f"{name} {described_name.group('rest')}"
        clause = main_verb(said)
        if clause is not None and clause.subject_end == len(name) + 1:
            return [said, f"{name} is {role[0].lower()}{role[1:]}."]
    match = _APPOSITION.match(text)
    if not match:
        return [text]
    name = match.group("name")
    said = f"{name} {match.group('rest')}"
    clause = main_verb(said)
    between = said[len(name) + 1 : clause.subject_end] if clause is not None else ""
    if clause is None or not re.fullmatch(r"(?:(?:today|also|now|recently|yesterday|formally|officially)\s)*", between):
        return [text]  # 'Mereway Labs, a maker of ..., today announced ...': the name is the subject
    return [said, *described(name, match.group("description"))]


def described(name: str, description: str) -> list[str]:
    """'<name> is <description>.'; a description with a relative clause ('a ferry operator that keeps
    38 TB of ...') says what the name is and what it does, each of the name."""
    relative = _RELATIVE.match(description)
    does = f"{name} {relative.group('does')}." if relative else ""
    does_clause = main_verb(does) if does else None
    if relative and does_clause is not None and does_clause.subject_end == len(name) + 1:
        return [f"{name} is {relative.group('what')}.", does]
    return [f"{name} is {description}."]


_CONDITION = re.compile(
    r"^(?P<condition>(?:If|When|Once|Unless|Before|After|Until|To)\s[^,]{1,80}),\s(?P<rest>(?:[a-z]|[A-Z][\w-]*\s[a-z]+s\b).*)\.$"
)


# 'First check your points ...', 'Then run ...': the order of steps, not part of the instruction.
_SEQUENCE_ADVERB = re.compile(r"^(?:First|Then|Next|Now|Finally|Afterwards),?\s(?=[a-z]+\s)")


def _imperative(text: str) -> str:
    """An instruction says who does it: 'Stop the server and run `x --check`.' -> 'You stop the
    server and run `x --check`.'; a condition before it goes last ('If you cannot upgrade, set ...'
    -> 'You set ... if you cannot upgrade.')."""
    condition = _CONDITION.match(text)
    pronoun = condition and re.match(r"(?:it|they|[A-Z][\w-]*\s[a-z]+s\b)", condition.group("rest"))
    if condition and (is_base_verb(condition.group("rest").split()[0]) or pronoun):
        rest, lead = condition.group("rest"), condition.group("condition")
        text = f"{rest[0].upper()}{rest[1:]} {lead[0].lower()}{lead[1:]}."
    text = _SEQUENCE_ADVERB.sub("", text)
    text = text[0].upper() + text[1:]
    first = text.split()[0]
    second = text.split()[1] if len(text.split()) > 1 else ""
    third = text.split()[2] if len(text.split()) > 2 else ""
    if not (first[:1].isupper() and first[1:].islower() and is_base_verb(first)) or second[:1].isupper():
        return text  # 'Google Cloud Storage is planned': a name, not an instruction
    if second == "and" and third[:1].isupper():
        return text  # 'Salt and Ink opens on ...': a name of two words, not an instruction
    if second[:1].isdigit():
        return text  # 'Rust 1.85.0 stabilizes ...': a release, not an instruction
    main = re.split(r"\s(?:if|when|unless|because|before|after|until|once|so that|that)\s", text)[0]  # no clause's
    stated = main_verb(main if main.endswith(".") else main + ".")
    # 'Replace calls to': a noun, not a finite verb; 'Control points can now be read': 'can' is
    finite = stated and (stated.aux or stated.verb != stated.lemma and not is_plural_noun(stated.verb))
    if finite and not re.search(r"\b(?:that|which|who)\s$", text[: stated.subject_end]):
        return text  # 'Let chains arrived ...': the sentence has its own finite verb
    candidate = f"You {first.lower()}{text[len(first) :]}"
    clause = main_verb(candidate)
    return candidate if clause is not None and clause.subject_end == 4 else text


def _raw_quote(clause: str) -> str:
    """The clause as the source has it, without list markers or a trailing ';' or ':'."""
    return clause.strip().rstrip(";:").strip()
