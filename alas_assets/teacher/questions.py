"""Natural questions about one statement: each askable span asked the way people ask.

For a span of the statement (a date, a number, a version, a name, a code identifier, or the object
of its verb) the question names the answer's type ("when", "who", "which module", "how many
packages") and takes one of several forms:

- ``subject``: the span opens the statement: "Who served as release manager for Python 3.14?"
- ``fronted``: the wh-phrase first, the verb inverted: "When was Python 3.14.0 released?",
  "Which MariaDB version does Django 6.0 drop?" (the verb's base form from lemminflect)
- ``embedded``: "Do you know which module provides tools for inspecting annotations?"
- ``context``: a question that names the document's subject when the statement does not:
  "In Python 3.14, which module provides tools for inspecting annotations?"
- ``short``: the fronted or subject question without the adjuncts after its core, as people ask
  it: "Where was Prevost born?" for "Prevost was born in Chicago on 14 September 1955", kept only
  while the core still names something (a name, a version, a code identifier)
- ``passive``: a past event asked about by its named object: "When was GPT-5 released?" for
  "OpenAI released GPT-5 on 7 August 2025"
- ``synonym``: the verb in other words ("Which MariaDB version does Django 6.0 remove?" for
  "... drops support for MariaDB 10.5"); a release as "When did Python 3.14.0 come out?"; where the
  verb has no synonym, an adjective ("last" for "final")
- ``cleft`` (held-out probes only, never trained): the answer's type as a noun phrase, "What was
  the date on which Python 3.14.0 was released?", "What is the module that provides ...?": the same
  fact asked in a wording no training question has, as a user would rephrase it

These are offline heuristics, not a parser: they aim at questions a person would recognise,
and at many wordings of each fact, which is what makes a fact answerable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from alas_assets.teacher.spans import MONEY, MONTHS, Span, normalise, salient_spans

FORMS = ("fronted", "subject", "passive", "active", "short", "synonym", "context", "embedded")
_AUX = {
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "will",
    "would",
    "can",
    "could",
    "may",
    "might",
    "must",
    "should",
    "does",
    "do",
    "did",
}
_NOT_VERBS = {
    "this",
    "its",
    "his",
    "has",
    "news",
    "series",
    "status",
    "process",
    "access",
    "class",
    "address",
    "bytes",
    "less",
    "unless",
    "thus",
    "plus",
    "always",
    "across",
    "various",
    "previous",
    "famous",
    "numerous",
    "windows",
    "tools",
    "prizes",
    "packages",
    "notes",
    "users",
    "versions",
    "features",
    "tasks",
    "sizes",
    "tokens",
    "types",
    "threads",
    "operations",
    "lookups",
    "indexes",
    "columns",
    "statistics",
    "checksums",
    "upgrades",
    "wheels",
    "systems",
    "questions",
    "problems",
    "responses",
    "dollars",
    "arrays",
    "annotations",
    "interpreters",
    "debuggers",
    "profilers",
    "literals",
    "brackets",
    "functions",
    "blocks",
    "traits",
    "chains",
    "conditions",
    "dependencies",
    "laureates",
    "electors",
    "cardinals",
    "bishops",
    "years",
    "months",
    "days",
    "weeks",
    "crystals",
    "spaces",
    "gases",
    "chemicals",
    "tissues",
    "effects",
    "discoveries",
    "frameworks",
    "fragments",
    "partials",
    "projects",
    "distributions",
    "consumers",
    "people",
    "pcs",
    "apps",
    "ways",
    "devices",
    "architectures",
    "kronor",
}
# Nouns that name what a code identifier is, when one stands next to it.
_HEADS = {
    "module",
    "key",
    "warning",
    "exception",
    "function",
    "method",
    "setting",
    "tag",
    "decorator",
    "class",
    "attribute",
    "option",
    "flag",
    "command",
    "package",
    "keyword",
    "field",
    "object",
    "type",
    "prefix",
    "lint",
    "trait",
    "file",
    "parameter",
    "argument",
    "variable",
    "middleware",
    "hook",
    "table",
    "column",
    "view",
    "extension",
    "model",
    "endpoint",
    "variant",
    "macro",
    "operator",
    "statement",
    "clause",
    "library",
    "tool",
    "format",
    "interface",
    "subsystem",
    "directory",
    "header",
    "property",
    "event",
    "protocol",
    "service",
    "mode",
    "value",
    "level",
    "plugin",
    "resolver",
    "block",
}
_DATE_PREPOSITIONS = {"on", "in", "at"}
_PREPOSITIONS = {
    "to",
    "for",
    "with",
    "from",
    "by",
    "as",
    "in",
    "on",
    "at",
    "of",
    "into",
    "through",
    "than",
    "about",
    "after",
    "before",
    "during",
    "since",
    "until",
    "over",
    "under",
    "between",
    "without",
    "per",
    "via",
    "against",
    "among",
    "alongside",
    "beside",
    "behind",
    "beyond",
    "near",
}
_PERSON_TITLES = {"pope", "cardinal", "bishop", "president", "dr", "professor", "sir"}
# Words that, as part of a capitalised span, name a place, group or thing rather than a person.
NOT_PERSON_WORDS = {
    "square",
    "road",
    "street",
    "avenue",
    "bridge",
    "station",
    "depot",
    "centre",
    "center",
    "museum",
    "states",
    "chapel",
    "church",
    "order",
    "group",
    "project",
    "team",
    "foundation",
    "prize",
    "prizes",
    "institute",
    "university",
    "area",
    "union",
    "security",
    "policy",
    "rewards",
    "apps",
    "module",
    "platform",
    "edition",
    "updates",
    "program",
    "support",
    "release",
    "api",
    "chatgpt",
    "microsoft",
    "openai",
    "windows",
    "python",
    "django",
    "numpy",
    "postgresql",
    "debian",
    "rust",
    "cargo",
    "linux",
    "gnome",
    "economic",
    "sciences",
    "medicine",
    "physics",
    "chemistry",
    "literature",
    "peace",
    "verified",
    "polyglot",
    "extended",
    "trusted",
    "global",
    "development",
    "consumer",
    "european",
    "catholic",
    "sistine",
    "saint",
    "dicastery",
    "augustine",
    "bishops",
    "releases",
    "notes",
    "server",
}
_PRONOUNS = {"they", "it", "he", "she", "we", "you", "these", "those", "this", "that", "them"}
# Verbs whose subject is a person: 'Prevost was born', 'Kowalczyk led'.
_PERSON_VERBS = {
    "born",
    "died",
    "led",
    "said",
    "served",
    "joined",
    "won",
    "founded",
    "elected",
    "became",
    "took",
    "wrote",
    "announced",
}
_LEADS = ("Do you know", "Can you tell me", "I'd like to know", "Could you say")


@dataclass(frozen=True)
class Asked:
    question: str
    span: Span  # the answer
    form: str


@lru_cache(maxsize=8192)
def _lemmas(word: str) -> dict[str, tuple[str, ...]]:
    """lemminflect's lemmas of a lowercase word by part of speech ('drops' -> VERB: drop, NOUN: drop)."""
    from lemminflect import getAllLemmas

    return getAllLemmas(word)


@lru_cache(maxsize=4096)
def verb_lemma(word: str, base: bool = False) -> str | None:
    """The base form of a finite verb ('drops' -> 'drop', 'gave' -> 'give'); None if it is no verb.

    ``base``: the word stands where a finite verb in its base form can ('columns now default'), so a
    base form counts too."""
    lower = word.lower()
    if lower in _NOT_VERBS or lower in _BASE_FORM_AFTER or not re.fullmatch(r"[a-z]+", lower):
        return None
    lemmas = _lemmas(lower)
    verb = lemmas.get("VERB")
    if not verb or (verb[0] == lower and not base and lower not in _SAME_PAST):
        return None  # a base form is as often a noun or an infinitive: taken only where ``base`` allows
    if "NOUN" in lemmas and lower.endswith("s") and not lower.endswith("ss"):
        return verb[0]  # 'drops', 'supports': plural noun or verb; the caller checks the position
    return verb[0]


# Adverbs after which a plural subject's verb follows in its base form: 'PCs no longer receive'; never
# verbs themselves ('projects still on ...').
_BASE_FORM_AFTER = {"now", "also", "still", "longer", "only", "often", "usually", "all", "both", "then"}
# Verbs whose past tense is their base form: 'the model cost 1.25 US dollars'.
_SAME_PAST = {"cost", "put", "set", "cut", "hit", "let", "read", "spread", "shut", "split"}
_NOT_PLURAL = {"this", "its", "his", "has", "was", "is", "does", "plus", "thus", "us", "as"}


def _takes_base_form(before: str, after: str) -> bool:
    """After one of the adverbs above ('PCs no longer receive'), or after a plural noun and before
    a preposition or an object ('columns default to'), a base form is the finite verb."""
    last = before.split()[-1].lower().strip("`")
    if last in _BASE_FORM_AFTER or last in ("you", "we", "they", "i"):
        return True
    if re.search(r"\sand\s\S+$", before.strip()) and re.match(r"\s+[a-z`]", after):
        return True  # '`set_var` and `remove_var` become unsafe': a subject of two things
    if re.search(r"\b[A-Z]?[a-z]+[^s]s\s+(?:on|in|for|of|from)\s+[A-Z][\w.-]*(?:\s+[\w.-]+)?$", before) and re.match(
        r"\s+[a-z]+ing\b", after
    ):
        return True  # 'Microsoft 365 Apps on Windows 10 keep receiving': the plural before its place is the subject
    if re.fullmatch(r"(?:The\s+)?[A-Z]?[a-z]+[^s]s\s+(?:on|in|at|of|for|from|with)\s+(?:the\s+|a\s+)?[\w'-]+", before):
        return True  # 'Trams on the extension run every 8 minutes': a plural subject, its place after it
    plural = re.fullmatch(r"[a-z]+[^s]s", last) is not None and last not in _NOT_PLURAL
    return plural and re.match(r"\s+(?:to|the|a|an|on|in|for|with|from|by|at|`)\b", after) is not None


def _tense(word: str, lemma: str) -> str:
    """'does', 'did' or 'do' for do-support."""
    lower = word.lower()
    if lower.endswith("s") and lower != lemma:
        return "does"
    if lower == lemma and lower not in _SAME_PAST:
        return "do"
    return "did"


@dataclass(frozen=True)
class _Clause:
    subject_end: int  # where the subject ends (the verb starts)
    verb: str
    verb_end: int
    aux: bool
    lemma: str


_ING_VERBS = {"bring", "sing", "ring", "spring", "sting", "swing", "fling", "cling", "sling", "wring"}
_MODALS = {"can", "could", "will", "would", "must", "should", "may", "might"}
_MODAL = re.compile(rf"\b(?:{'|'.join(_MODALS)})\b")
_RELATIVE_PRONOUN = re.compile(r"\s(?:who|that)\b")


def _is_name(words: str) -> bool:
    """Capitalised words the dictionary does not know the last of: 'Tideline', 'Vellumkit 2.4'."""
    return re.fullmatch(r"(?:[A-Z][\w.+-]*\s?)+", words) is not None and not _lemmas(words.split()[-1].lower())


@lru_cache(maxsize=4096)
def main_verb(text: str) -> _Clause | None:
    """The statement's first finite verb after a subject of one to twelve words (never a word of a
    `code` span). Cached: every span and form of a statement asks for it again."""
    code = [m.span() for m in re.finditer(r"`[^`]*`", text)]
    for match in re.finditer(r"\b[\w'-]+\b", text):
        word = match.group(0)
        if match.start() == 0 or any(start < match.start() < end for start, end in code):
            continue
        before = text[: match.start()].strip()
        closed = before.endswith(",") and before.count(",") == 2 and word in ("is", "was", "are", "were", "has", "will")
        if closed:  # 'The next version, Vellumkit 2.4, is planned ...': the verb after an apposition
            return _Clause(match.start(), word, match.end(), True, word.lower())
        if not before or before.endswith((",", ":", "(")) or len(before.split()) > 12:
            if len(before.split()) > 12:
                return None
            continue
        previous = before.split()[-1].lower()
        if previous in ("the", "a", "an", "its", "their", "his", "her", "of", "to", "new", "first", "last"):
            continue
        if _RELATIVE_PRONOUN.search(before) and word not in _MODALS and _MODAL.search(text, match.start()):
            continue  # 'Passengers who took a taxi because of this can claim ...': the verb after the relative clause
        if not word[0].islower():
            continue
        if word in _AUX and not _possessive_have(word, text[match.end() :]):
            return _Clause(match.start(), word, match.end(), True, word.lower())
        if word in _AUX:  # 'All of them have a context window ...': 'have' as the main verb
            return _Clause(match.start(), word, match.end(), False, "have")
        if re.match(r"\s+(?:" + "|".join(_AUX) + r")\b", text[match.end() :]):
            continue  # 'crates can move': the word before an auxiliary is its subject
        if word.endswith("ing") and word not in _ING_VERBS:
            continue  # 'The Lantern Street reading room will close ...': a participle is no finite verb
        lemma = verb_lemma(word, base=_takes_base_form(before, text[match.end() :]))
        if lemma and _plural_before_its_verb(word, text[match.end() :]) and not _is_name(before):
            continue  # 'Exported files now default to': 'files' is the subject's noun; 'Tideline drops': a verb
        if lemma and _reduced_relative(word, text[match.end() :]):
            continue  # 'The cardinals gathered in the Sistine Chapel elected ...': 'elected' is the verb
        if lemma:
            return _Clause(match.start(), word, match.end(), False, lemma)
    return None


# A participle and a place after it, then a past tense: the participle describes the subject.
_PARTICIPLE_PLACE = re.compile(
    r"\s+(?:in|at|inside|outside|near|from)\s+(?:the\s+)?(?:[A-Z][\w'-]*\s+){1,4}(?P<verb>[a-z]+ed)\b"
)


def _reduced_relative(word: str, after: str) -> bool:
    """'gathered' in 'The cardinals gathered in the Sistine Chapel elected ...': a past participle
    describing the subject, since a past-tense verb follows the place it names."""
    place = _PARTICIPLE_PLACE.match(after)
    return word.endswith("ed") and place is not None and verb_lemma(place.group("verb")) is not None


def _plural_before_its_verb(word: str, after: str) -> bool:
    """A word that is a plural noun or a verb ('files', 'drops'), followed by an adverb that comes
    before a verb ('now', 'also', 'no longer') or by a past tense ('The departure boards needed ...'): the noun."""
    following = re.match(r"\s+([a-z]+)", after)
    if not (word.endswith("s") and "NOUN" in _lemmas(word.lower()) and following is not None):
        return False
    then = following.group(1)
    past = then.endswith("ed") and verb_lemma(then) is not None and not re.match(r"\s+[a-z]+\s+by\b", after)
    return then in _BASE_FORM_AFTER | {"no"} or past


@lru_cache(maxsize=4096)
def participles(lemma: str) -> tuple[str, ...]:
    from lemminflect import getInflection

    return getInflection(lemma, "VBN")


def _possessive_have(word: str, after: str) -> bool:
    """'has'/'have'/'had' as the main verb ('have a context window'), not an auxiliary before a
    participle ('has been', 'had released', 'have now replaced')."""
    if word.lower() not in ("has", "have", "had"):
        return False
    following = re.match(r"\s+(?:(?:now|also|already|not|never|since|long|just|recently)\s+)*([A-Za-z]+)", after)
    if not following:
        return False
    participle = following.group(1).lower()
    lemma = _lemmas(participle).get("VERB")
    return not (lemma and participle in participles(lemma[0]))


def _is_person(text: str) -> bool:
    words = text.split()
    if not 1 < len(words) <= 5 or any(ch.isdigit() for ch in text) or "`" in text or "," in text:
        return False  # 'Ghent, Belgium': a place and its country, not a name
    if words[0].lower() in _PERSON_TITLES:
        return True
    bare = [re.sub(r"['’]s$", "", w.lower()) for w in words]  # 'Reinholt's' -> 'reinholt'
    if any(w in NOT_PERSON_WORDS for w in bare):
        return False
    # 'Wrenlog Cloud', 'Northlight Ventures': no first name, and a common noun after it
    return is_first_name(words[0]) or not any(_noun(w) for w in bare[1:])


@lru_cache(maxsize=1)
def _first_names():
    import gender_guesser.detector

    return gender_guesser.detector.Detector(case_sensitive=False)


@lru_cache(maxsize=4096)
def is_first_name(word: str) -> bool:
    """A given name in gender-guesser's list of about 40,000 first names from many countries ('Marja', 'Susumu')."""
    return _first_names().get_gender(word) != "unknown"


def _following_noun(text: str, end: int) -> str | None:
    after = re.match(r"\s+([a-z][a-z-]+)", text[end:])
    return after.group(1) if after else None


def _following_head(text: str, end: int) -> str | None:
    """The head noun that names what the span is: '`gen` keyword', '`partialdef` template tag'
    ('S3-compatible object storage': a name before 'object' is no code object)."""
    after = re.match(r"\s+([a-z][a-z-]+)(?:\s+([a-z][a-z-]+))?", text[end:])
    if not after or (text[end - 1 : end] != "`" and after.group(1) in ("object", "type")):
        return None
    if after.group(1) in _HEADS:
        return after.group(1)
    if after.group(2) in _HEADS:
        return f"{after.group(1)} {after.group(2)}"
    return None


# A number's unit and what it measures: '40 milliseconds of latency', '38 TB of booking events'.
_MEASURE_OF = re.compile(
    r"\s+(?P<unit>[KMGTP]i?B|[a-z]+(?:seconds|bytes)|seconds|minutes|hours|days|weeks|ms)\s+of\s+"
    r"(?P<noun>[a-z][a-z-]+(?:\s+(?!(?:for|in|on|at|to|from|with|by|per|of|and|or)\b)[a-z][a-z-]+)?)\b"
)


def _labels_a_number(noun: str, after: str) -> bool:
    """'port 7461', 'tier 2': a noun that names what the number after it identifies (no count of
    anything follows the number)."""
    return (
        _noun(noun)
        and noun not in _PREPOSITIONS | _DETERMINERS | _AUX | _FOLLOWERS | {"times", "percent", "version", "versions"}
        and verb_lemma(noun) is None
        and not re.match(r"\s+(?!by\b)[a-z]", after)
    )


# A word that makes the number after it approximate ('about 40 milliseconds', 'About 31,000 plans'): asked
# with the number.
_APPROXIMATORS = ("about", "around", "roughly", "nearly", "almost", "some", "over", "up to")
_ROUGHLY = re.compile(rf"(?:^|(?<=\s))(?:{'|'.join(_APPROXIMATORS)})\s$", re.I)


def _role_before(before: str) -> int | None:
    """Where the role said before a person's name starts ('by the surveyor ', 'alongside councillor ',
    'by the authority's data lead '): a question for the person asks 'who' in its place."""
    words = [(m.group(0), m.start()) for m in re.finditer(r"\S+", before)]
    if not words or not before.endswith(" "):
        return None
    noun = words[-1][0]
    if not re.fullmatch(r"[a-z-]{4,}", noun) or noun in _PREPOSITIONS | {"name", "names", "title"}:
        return None
    if verb_lemma(noun) is not None or not _noun(noun):
        return None
    for back in range(2, 5):  # 'the surveyor', 'the authority's data lead': a determiner, then two words at most
        if back > len(words):
            break
        word = words[-back][0]
        if word.lower() in ("the", "a", "an") or word.endswith("'s"):
            owner = len(words) - back
            if word.endswith("'s") and owner > 0 and words[owner - 1][0].lower() == "the":
                return words[owner - 1][1]
            return words[owner][1]
        if word.lower() in _PREPOSITIONS or not re.fullmatch(r"[a-z-]+", word) or verb_lemma(word) is not None:
            break
    previous = words[-2][0].lower() if len(words) >= 2 else ""
    return words[-1][1] if previous in _PREPOSITIONS else None


def wh_phrase(text: str, span: Span) -> tuple[str, int, int]:
    """The wh-phrase that asks for the span, and the region of the statement it replaces."""
    start, end = span.start, span.end
    before = text[:start]
    determiner = re.search(r"(?:\b(?:the|a|an|this|its)\s+(?:new\s+)?)$", before, re.I)
    if span.kind in ("date", "time"):
        since = re.search(r"(?:^|(?<=\s))(?P<word>from|to|until)\s$", before, re.I)
        if since and (since.group("word").lower() == "from" or re.search(r"\bfrom\s", before, re.I)):
            # 'runs from Saturday 12 September to Sunday 13 September': from when, until when
            return ("from when" if since.group("word").lower() == "from" else "until when"), since.start(), end
        return "when", start, end
    owned = re.match(r"\s((?:[a-z-]+\s){0,3}[a-z-]+)(?=[\s,.;]|$)", text[end:]) if span.text.endswith("'s") else None
    if owned:  # 'is Halyard Data's chief executive': whose chief executive
        return f"whose {owned.group(1)}", start, end + owned.end()
    if span.kind == "number" and MONEY.fullmatch(span.text):  # '£86 million', 'up to £25'
        about = _ROUGHLY.search(before)
        return "how much", (about.start() if about else start), end
    if (
        span.kind == "number"
        and re.search(r"\bdefaults?\sto\s$", before)
        and re.fullmatch(r"\d+(?:\.\d+)?", span.text)
        and not re.match(r"\s+(?!if\b|when\b|unless\b|and\b|but\b|for\b)[a-z]", text[end:])  # no unit after it
    ):
        return "what", start, end  # '`max_residual_px` defaults to 3.0': what it defaults to
    # a year: 'in 2019' is asked 'in which year'; a year is no count
    if span.kind == "number" and re.fullmatch(r"(?:19|20)\d\d to (?:19|20)\d\d", span.text):
        since = re.search(r"(?:^|(?<=\s))from\s$", before, re.I)  # 'from 2015 to 2023': a period
        return "when", (since.start() if since else start), end
    if span.kind == "number" and re.fullmatch(r"(?:19|20)\d\d", span.text):
        return "in which year", (start - 3 if before.endswith("in ") else start), end
    versions = re.search(r"\b(?:[A-Z][\w+-]*\s)?[Vv]ersions?\s$", before)
    if span.kind in ("number", "version") and versions:  # 'supports Python versions 3.11 to 3.13'
        named = re.sub(r"^Version", "version", versions.group(0).strip())  # 'Version 22H2 was ...' opens it
        return f"which {named}", versions.start(), end
    bare_version = re.fullmatch(r"\d+\.\d+(?:\.\d+)*(?:\.x)?|\d+\.x", span.text)
    product = re.search(r"(?:^|(?<=\s))(?P<in>(?:in|from|since|with|to|until)\s)?(?P<name>[a-z][\w-]{2,})\s$", before)
    function_word = product and product.group("name") in _PREPOSITIONS | _AUX | {"the", "its", "and"}
    if span.kind == "number" and bare_version and product and not function_word and not _lemmas(product.group("name")):
        # 'added in routekit 2.9': a release of the product a lowercase name names, 'in which routekit version'
        return f"{product.group('in') or ''}which {product.group('name')} version", product.start(), end
    if (
        span.kind == "number"
        and bare_version
        and (start == 0 or re.search(r"\b(?:to|from|than|on|before|since|after)\s$", before))
    ):
        following = re.match(r"\s+([a-z]+s)\b", text[end:])
        clause = main_verb(text)
        counted_after = following and not (clause and clause.verb == following.group(1))
        if not counted_after and not re.match(r"\s+(?:million|billion|percent|GB|TB|MB|times)\b", text[end:]):
            return "which version", start, end  # 'upgrade to 3.9 first', '4.1 supports ...': a release, no count
    labelled = re.search(r"(?:^|(?<=\s))(?P<noun>[a-z]{3,})\s$", before) if span.kind == "number" else None
    if labelled and _labels_a_number(labelled.group("noun"), text[end:]):
        return f"which {labelled.group('noun')}", labelled.start("noun"), end  # 'listens on port 7461': which port
    share = re.match(r"\s+of\s+(?:the|its|their|these)\s(?:[\w-]+\s){0,2}?[a-z-]+s\b", text[end:])
    if span.kind == "number" and share and not MONEY.fullmatch(span.text):
        about = _ROUGHLY.search(before)  # '1,150 of the charts have been digitised': how many of the charts
        return f"how many{share.group(0)}", (about.start() if about else start), end + share.end()
    every = re.match(r"\s+(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|s|min|h)\b", text[end:])
    if span.kind == "number" and every and before.endswith("every "):  # 'polls the feed every 20 seconds'
        return "how often", start - len("every "), end + every.end()
    if span.kind == "number":
        scale = re.match(r"\s+(?:million|billion|thousand)\b", text[end:])
        end = end + (scale.end() if scale else 0)
        unit = re.match(r"\s+(?:US\s+|euro\s+|Swedish\s+)?(?:dollars|euros|kronor|percent|pounds)\b", text[end:])
        if unit or "dollar" in text[end : end + 20]:
            return "how much", start, end + (unit.end() if unit else 0)
        measured = _MEASURE_OF.match(text, end)
        if measured:  # 'adds about 40 milliseconds of latency': how much latency
            about = _ROUGHLY.search(before)
            noun = measured.group("noun")
            wh = (
                f"how many {measured.group('unit')} of {noun}"
                if is_plural_noun(noun.split()[-1])
                else f"how much {noun}"
            )
            return wh, (about.start() if about else start), measured.end()
        counted = re.match(r"\s+((?:[A-Z][\w-]*\s+){0,3}[a-z][a-z-]+)", text[end:])
        compound = re.match(r"\s+([a-z][a-z-]+\s([a-z][a-z-]+))\b", text[end:])
        if (
            counted
            and compound
            and not is_plural_noun(compound.group(1).split()[0])
            and is_plural_noun(compound.group(2))
        ):
            counted = compound  # 'around 9,500 weekday trips': how many weekday trips
        if counted and counted.group(1).split()[-1] not in _FOLLOWERS | {"percent"}:
            about = _ROUGHLY.search(before)
            return f"how many {counted.group(1)}", (about.start() if about else start), end + counted.end()
        if re.search(r"\b(?:is|was)\s$", before) and re.fullmatch(r"[.,;]?", text[end:].strip()[:1]):
            return "what", start, end  # 'The CVSS score of X is 8.1': 'What is the CVSS score of X?'
        return "what number", start, end
    newer = re.match(r"\s+or\s+(?:newer|later|higher)\b", text[end:]) if span.kind in ("number", "version") else None
    if newer:  # 'requires Python 3.11 or newer': asked for the oldest it requires, 'or newer' is the answer's
        wh, region_start, region_end = wh_phrase(text[:end] + text[end + newer.end() :], span)
        return wh, region_start, region_end + (newer.end() if region_end >= end else 0)
    if span.kind == "version":
        kind = re.match(r"\s+(edition|series|branch)\b", text[end:])
        if kind:  # 'the Rust 2024 edition': asked as the edition it is
            return f"which {kind.group(1)}", (determiner.start() if determiner else start), end + kind.end()
        # 'support for OAuth 2.0 authentication' (after the verb): asked as the kind of authentication it is
        modified = _modified_noun(text, span) if " " in span.text and start > 0 else None
        clause = main_verb(text) if modified else None
        if modified and (clause is None or clause.verb_end <= start):
            return f"what kind of {modified[0]}", (determiner.start() if determiner else start), modified[1]
        name = span.text.rsplit(" ", 1)[0]
        if len(name.split()) <= 2:
            return (f"which {name}" if name.isupper() else f"which {name} version"), start, end
        return "what", (determiner.start() if determiner else start), end
    if span.kind == "ordinal":
        noun = _following_noun(text, end)
        if noun:
            owner = re.search(r"\b(?:the|its|his|her|their|a)\s+$", before, re.I)
            return f"which {noun}", (owner.start() if owner else start), end + 1 + len(noun)
        return "what", start, end
    stated = main_verb(text) if span.kind in ("identifier", "name") else None
    verb_next = stated is not None and stated.subject_end == end + 1  # '`tile_size` defaults to ...': a verb
    modified = (
        _modified_noun(text, span)
        if span.kind in ("identifier", "name") and not _following_head(text, end) and not verb_next
        else None
    )
    if modified:
        nouns, nouns_end = modified
        adjective = re.search(r"(?:(?<=\s)|^)(?:the\s|a\s|an\s)?(?:[a-z]+\s)?$", before)
        region_start = (
            adjective.start()
            if adjective and adjective.group(0).strip() and adjective.group(0).split()[0] not in _PREPOSITIONS
            else start
        )
        kind = re.sub(r"^(?:the|a|an)\s", "", before[region_start:start].strip() + " " + nouns).strip()
        return f"what kind of {kind}", region_start, nouns_end
    if span.kind in ("identifier", "name"):
        noun = _following_head(text, end)
        if noun:
            new = "new " if determiner and "new" in determiner.group(0).lower() else ""
            region_start = determiner.start() if determiner else start
            return f"which {new}{noun}", region_start, end + 1 + len(noun)
        preceding = re.search(r"\b(?:the|a|an)\s+(?:new\s+)?([a-z]+)\s*,?\s*$", before, re.I)
        if preceding and preceding.group(1) in _HEADS:
            return f"which {preceding.group(1)}", preceding.start(), end + (1 if text[end : end + 1] == "," else 0)
        institution = re.match(r"([A-Z][a-z]+) of ", span.text)
        if span.kind == "name" and institution and before.lower().endswith("the ") and _noun(institution.group(1)):
            return f"which {institution.group(1).lower()}", start - 4, end  # 'the Order of ...': which order
        if span.kind == "name":
            verb = re.match(r"\s+(?:was\s+|is\s+|has\s+)?([a-z]+)", text[end:])
            people = re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", span.text)
            acronym = re.match(r"\s\([A-Z]{2,6}s?\)", text[end:])  # 'Live Document Sync (LDS)': a thing
            if not acronym and (
                all(_is_person(p) for p in people) or (start == 0 and verb and verb.group(1) in _PERSON_VERBS)
            ):
                # 'by the surveyor Harriet Quillmoor', 'alongside councillor Tomasz Redfern': who, the role too
                if is_first_name(span.text.split()[0]) and (role := _role_before(before)):
                    return "who", role, end
                return "who", start, end
            place = re.search(r"(?:^|(?<=\s))(?P<at>in|at|from)\s(?:the\s)?$", before) or re.search(
                r"\b(?:coming|going|moving|travelling|traveling|returning|comes|goes|moves|returns)\s(?P<at>to)\s$",
                before,
            )
            if place and not _is_person(span.text):
                return "where", place.start("at"), end
    # 'a plain `str`' is asked as 'what', determiner and adjectives included.
    described = re.search(r"\b(?:the|a|an)\s+(?:[a-z-]+\s+){0,2}$", before)
    return "what", (described.start() if described else start), end


def _years(first: Span, second: Span) -> bool:
    return all(re.fullmatch(r"(?:19|20)\d\d", s.text) for s in (first, second))


_LIST_SEPARATOR = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")


def _merge_lists(text: str, spans: list[Span]) -> list[Span]:
    """'Python 3.12, 3.13 and 3.14' is one answer, not three: adjacent spans joined by ', ', ' and '
    or ' or ' become one span, and so does a platform named as '<name> on <name>' ('Windows on ARM')."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        gap = text[merged[-1].end : span.start] if merged else ""
        numbers = merged and {merged[-1].kind, span.kind} <= {"number", "version"}
        if merged and MONEY.fullmatch(span.text) and " or " in gap:  # '£15, or £7.50 for students': two prices
            merged.append(span)
            continue
        platform = merged and merged[-1].kind == span.kind == "name" and gap == " on " and " " not in merged[-1].text
        if merged and (
            platform
            or _LIST_SEPARATOR.fullmatch(gap)
            or (
                numbers
                and gap == " to "
                and (_years(merged[-1], span) or not text[: merged[-1].start].lower().endswith("from "))
            )
        ):
            first = merged.pop()
            merged.append(
                Span(
                    text[first.start : span.end],
                    first.kind if first.kind != "number" else span.kind,
                    first.start,
                    span.end,
                )
            )
        else:
            merged.append(span)
    return merged


# Where a clause ends: what follows is another statement about something else.
_CLAUSE_BREAK = re.compile(
    r":\s|;\s|,\s(?:so|which|who|and|because|but|while|showing|even though|so that)\s"
    r"|\s(?:so that|because(?! of)|even though)\s"
)
_OWN_SUBJECT = re.compile(r"(?:he|she|it|they)\b", re.I)
# An opening adverbial ('On 8 May 2025', 'From 2015 to 2023', 'For people who cannot move yet,') that
# questions put last: 'When did the cardinals elect ...', not 'When did On ... the cardinals elect'.
_OPENING_ADVERBIAL = re.compile(
    r"^(?P<adverbial>(?:(?:On|In)\s(?:\d{1,2}\s)?(?:"
    + MONTHS
    + r")(?:\s\d{1,2},)?\s\d{4}\s(?!,))|(?:From\s\d{4}\sto\s\d{4}\s(?!,))"
    r"|(?:[A-Z][a-z]+\s(?:days|weeks|months|years)\s(?:after|before)\s[^,]{1,40},\s)|(?:At the same time,?\s)"
    r"|(?:(?:On|In|From|Since|Until|By|At|During|After|Before|For)\s[^,]{1,60}?,\s)"
    # 'On the project's benchmark suite Tern ingests ...': no comma, the subject's name ends it
    r"|(?:(?:On|In|At|During)\s(?:the|a|an|its|their)\s[a-z][^,A-Z]{1,40}?\s(?=[A-Z`])))"
)


def without_opening_adverbial(text: str) -> str:
    """'On 8 May 2025 the cardinals elected X.' -> 'The cardinals elected X on 8 May 2025.'"""
    body = text.rstrip(".")
    match = _OPENING_ADVERBIAL.match(body)
    if not match or len(body) - match.end() < 12:
        return text
    adverbial = match.group("adverbial").strip().rstrip(",")
    rest = body[match.end() :].strip()
    if re.fullmatch(r"For (?:them|him|her|it|these|those)", adverbial):  # 'For them, ...': says nothing of its own
        return f"{rest[0].upper()}{rest[1:]}."
    return f"{rest[0].upper()}{rest[1:]} {adverbial[0].lower()}{adverbial[1:]}."


def clause_of(text: str, span: Span) -> tuple[str, Span]:
    """The part of the statement a question about the span should say: the span's clause, with the
    subject it shares with the clause before ('..., and he is ...', '... and later spent ...'), or the
    noun a relative clause ('..., which now takes ...') is about; an opening adverbial put last."""
    body = text.rstrip(".")
    main = main_verb(text)
    subject = body[: main.subject_end].strip() if main else ""
    cuts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(body)]
    kinds = [""] + [m.group(0).strip(" ,") for m in _CLAUSE_BREAK.finditer(body)]
    stops = [m.start() for m in _CLAUSE_BREAK.finditer(body)] + [len(body)]
    index = max(i for i, cut in enumerate(cuts) if cut <= span.start)
    clause = body[cuts[index] : stops[index]].strip()
    kind = kinds[index]
    if index and kind in ("which", "who"):
        antecedent = re.search(r"\b(?:the|a|an)\s[^,]+$", body[: stops[index - 1]], re.I)
        if antecedent:
            clause = f"{antecedent.group(0)} {clause}"
        elif main and main.verb_end < stops[index - 1] and len(body[main.verb_end : stops[index - 1]].split()) <= 6:
            clause = f"{body[main.verb_end : stops[index - 1]].strip()} {clause}"  # '... replaces Debian 12, which ...'
    elif index and subject:
        if kind == "and" and re.search(r"[A-Z0-9]", subject) and re.search(r"\bits\b", clause):
            # '..., and version 22H2 was its ...'; 'A is Halyard Data's CEO, and B is its CTO': the owner said
            owner = re.search(r"([A-Z][\w.-]*(?:\s[A-Z][\w.-]*)*)'s\b", body[: stops[index - 1]])
            owned = subject if not _is_person(subject) else owner.group(1) if owner else ""
            if owned:
                clause = re.sub(r"\bits\b", f"{owned}'s", clause, count=1)
        if _OWN_SUBJECT.match(clause):
            clause = _OWN_SUBJECT.sub(subject, clause, count=1)
        elif (verb := main_verb(f"X {clause}.")) and verb.subject_end == 2:
            clause = f"{subject} {clause}"
    # Two verbs of one subject: '... joined the Order in 1977 and later spent many years in Peru'.
    inner = main_verb(clause + ".")
    if inner:
        for joined in re.finditer(r"\sand\s(?:later\s|also\s|then\s)?(?=[a-z])", clause):
            second = clause[joined.end() :].split(" ", 1)[0]
            if joined.start() <= inner.verb_end or not verb_lemma(second) or second.endswith("ing"):
                continue  # '... by running X and then setting Y': two gerunds of one 'by', not a second verb
            where = clause.find(span.text)
            if where >= joined.end():
                clause = f"{clause[: inner.subject_end].strip()} {clause[joined.end() :]}"
            elif where >= 0:
                clause = clause[: joined.start()]
            break
    clause = _one_of_two_amounts(clause, span)
    clause = without_opening_adverbial(clause[:1].upper() + clause[1:] + ".")
    where = clause.find(span.text)
    return clause, Span(span.text, span.kind, where, where + len(span.text))


def _one_of_two_amounts(clause: str, span: Span) -> str:
    """'cost 1.25 US dollars per million input tokens and 10 US dollars per million output tokens':
    a question about one amount says only its own conjunct, so it does not give the other away."""
    if span.kind != "number":
        return clause  # a date after both amounts: its question keeps both ('for 3 hours and 40 minutes')
    inner = main_verb(clause + ".")
    numbers = [s for s in salient_spans(clause) if s.kind == "number"]
    for join in re.finditer(r"\sand\s|,?\sor\s", clause):
        first = [s for s in numbers if s.end <= join.start()]
        second = [s for s in numbers if s.start == join.end()]
        if (
            not (inner and first and second)
            or first[-1].start < inner.verb_end
            or first[-1].start < clause.rfind(", ", 0, join.start())
        ):
            continue
        if span.text in clause[first[-1].start : join.start()]:
            return clause[: join.start()]
        if span.text in clause[join.end() :]:
            return clause[: first[-1].start] + clause[join.end() :]
    return clause


# Subjects too general to be an answer: 'What supports ...?' -> 'The release'.
_GENERIC_HEADS = {
    "release",
    "version",
    "update",
    "project",
    "team",
    "article",
    "document",
    "page",
    "notes",
    "change",
    "changes",
}
_FOLLOWERS = (
    _PREPOSITIONS
    | _AUX
    | _BASE_FORM_AFTER
    | {
        "and",
        "or",
        "but",
        "so",
        "which",
        "who",
        "that",
        "because",
        "while",
        "no",
        "not",
        "never",
        "already",
        "later",
        "when",
        "if",
        "unless",
        "once",
        "whether",
    }
)


_REFLEXIVES = {"itself", "themselves", "himself", "herself"}


def _modified_noun(text: str, span: Span) -> tuple[str, int] | None:
    """The noun (one to three words) a name modifies when the name opens its noun phrase, and where
    it ends: 'multicolumn B-tree indexes', 'MD5 password authentication'."""
    before = text[: span.start].split()
    if before and (
        not re.fullmatch(r"[a-z]+", before[-1]) or before[-1] in ("first", "last", "second", "only", "same")
    ):
        return None
    nouns, end = [], span.end
    clause = main_verb(text)
    for word in _words_after(text, span.end):
        verb = verb_lemma(word.group(1)) or verb_lemma(word.group(1), base=True)  # '`a` and `b` become'
        if word.group(1) in _FOLLOWERS or (verb and not _noun(word.group(1))):
            break
        if (clause is not None and clause.subject_end == word.start(1)) or word.group(1) in _REFLEXIVES:
            return None  # 'Halyard Data uses the money', 'Wrenlog itself is ...': the name is the subject
        nouns.append(word.group(1))
        end = word.end()
    stop = re.match(r"\s+(\w+)|[,.;:]|$", text[end:])
    if not 1 <= len(nouns) <= 3 or not stop or (stop.group(1) and stop.group(1) not in _FOLLOWERS):
        return None
    return " ".join(nouns), end


def _words_after(text: str, position: int):
    """The lowercase words that follow ``position`` one after another, as matches."""
    pattern = re.compile(r"\s+([a-z][a-z-]+)")
    while (word := pattern.match(text, position)) is not None:
        yield word
        position = word.end()


def _plural_noun_after(text: str, end: int) -> bool:
    """A plural noun that is no verb follows: 'packages', 'PCs' (an acronym's plural), not 'adds'."""
    word = re.match(r"\s+([A-Za-z][a-z]*[A-Z]?s)\b", text[end:])
    if not word:
        return False
    plural = re.fullmatch(r"[A-Z]{2,}s", word.group(1)) or is_plural_noun(word.group(1))
    return bool(plural) and not verb_lemma(word.group(1).lower())


def is_modifier(text: str, span: Span) -> bool:
    """The span only modifies a noun ('the first Debian release', '64-bit', 'US dollars'): asking for
    it alone gives no question a person would ask."""
    if text[span.end : span.end + 1] == "-" or text[span.start - 1 : span.start] == "-":
        return True
    if span.kind == "version":
        return _plural_noun_after(text, span.end)  # 'Windows 10 PCs no longer receive ...': the PCs do
    if span.kind not in ("name", "identifier"):
        return False
    following = re.match(r"\s+([a-z][a-z-]*)", text[span.end :])
    if not following:
        return False
    word = following.group(1)
    # 'Cargo uses the ...', 'OpenAI released GPT-5': a verb, though 'uses' is a noun too
    verb = verb_lemma(word) and (
        not _noun(word) or re.match(r"\s+(?:the|a|an|its|their|`|[A-Z0-9])", text[span.end + following.end() :])
    )
    clause = main_verb(text)
    verb = verb or (clause is not None and clause.subject_end == span.end + 1)  # '`a` and `b` become ...'
    modifies = word not in _FOLLOWERS and not verb and _following_head(text, span.end) is None
    return modifies and _modified_noun(text, span) is None


_DESCRIBED_AFTER = re.compile(
    r"\s+[a-z][\w-]*(?:\s+[a-z][\w-]*)?\s+(?:born|to|of|since|that|who|in|from|it|they|we|you)\b"
)


def _rank_of_what_follows(text: str, span: Span) -> bool:
    """'the first pope born in the United States', 'the first year of ESU', 'the first major release':
    'first' ranks the noun as the words around it describe it, so 'Which pope is Leo XIV born ...?' asks
    nothing ('the fourth ballot' is still asked: 'Which ballot ...?')."""
    if span.kind != "ordinal" or span.text.lower() not in ("first", "last", "only"):
        return False
    adjective = re.match(r"\s+([a-z]+)\s+[a-z]+", text[span.end :])  # 'the first major release'
    return bool(_DESCRIBED_AFTER.match(text, span.end)) or (adjective is not None and not _noun(adjective.group(1)))


def askable_spans(text: str) -> list[Span]:
    """The spans a question may ask for: salient spans (a list of them as one), and the object of
    the verb when no salient span is in it (e.g. 'template string literals')."""
    spans = [
        s
        for s in _merge_lists(text, salient_spans(text))
        if s.text.lower() not in _PRONOUNS
        and normalise(s.text)
        and not (text[s.start - 1 : s.start] == "(" and text[s.end : s.end + 1] == ")")
        and not is_modifier(text, s)
        and not _sentence_initial_word(s)
        and not _rank_of_what_follows(text, s)
        and not (s.kind == "number" and re.search(r"\bnumber\s$", text[: s.start]))  # 'the number 23 bus': a label
    ]
    body = text.rstrip(".")
    cuts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(body)]
    for offset in cuts:
        part = _CLAUSE_BREAK.split(body[offset:], maxsplit=1)[0]
        clause = main_verb(part + ".")
        if not clause:
            continue
        phrases = []
        honoured = re.match(
            r"(\s+(?:been\s+)?[a-z]+(?:ed|en)\s+(?:for|with|as)\s+)((?:[\w'-]+\s+){1,6}?[\w'-]+)(?=[,.;:]|$|\s(?:which|that|so|because)\b)",
            part[clause.verb_end :],
        )
        if clause.aux and honoured:  # 'were honoured for discoveries concerning ...': what for
            phrases.append((clause.verb_end + honoured.end(1), honoured.group(2)))
        if not clause.aux:  # the verb's object: 'retains optimizer statistics'
            phrase = re.match(
                r"\s+((?:[\w'-]+\s+){0,6}?[\w'-]+)(?=\s+(?:to|for|with|in|on|by|from|as|into|through|so|because|and)\b|[,.;:]|$)",
                part[clause.verb_end :],
            )
            if phrase and phrase.group(1).split()[0].lower() not in _PREPOSITIONS | {"no", "nothing", "none", "that"}:
                phrases.append((clause.verb_end + phrase.start(1), phrase.group(1)))
        subject = part[: clause.subject_end].strip()  # a described subject: 'A real-time router'
        while subject.split()[-1:] and subject.split()[-1] in _BASE_FORM_AFTER:
            subject = " ".join(subject.split()[:-1])
        generic = subject.split()[-1].lower() in _GENERIC_HEADS if subject else True
        if offset == 0 and not generic and re.fullmatch(r"(?:A|An|The)\s[a-z][\w-]*(?:\s[a-z][\w-]*){0,3}", subject):
            phrases.append((0, subject))
        for start, phrase_text in phrases:
            o_start, o_end = offset + start, offset + start + len(phrase_text)
            if len(phrase_text.split()) >= 2 and not any(s.start < o_end and o_start < s.end for s in spans):
                spans.append(Span(phrase_text, "object", o_start, o_end))
    return sorted(spans, key=lambda s: s.start)


def _question(text: str) -> str:
    text = " ".join(text.split()).strip().rstrip(".,;:") + "?"
    text = re.sub(r"\s+([,?])", r"\1", text)
    text = re.sub(r",+", ",", text).replace(",?", "?")
    text = re.sub(r"\b(on|in|at|for|to|of|from|by|with) \1\b", r"\1", text)  # 'on on 8 May': one preposition
    return text[0].upper() + text[1:]


_DETERMINERS = {
    "The",
    "A",
    "An",
    "This",
    "These",
    "Its",
    "Each",
    "Every",
    "All",
    "Some",
    "Many",
    "Most",
    "Both",
    "Several",
}


def _lower_first(text: str) -> str:
    """The statement's first word as it reads mid-question: 'Each prize', 'existing crates', but
    'Django', 'Windows 10', 'OpenAI' kept."""
    head, _, rest = text.partition(" ")
    if head in _DETERMINERS or head in ("You", "We", "Our") or head.lower() in _APPROXIMATORS:
        return text[0].lower() + text[1:]
    if not re.fullmatch(r"[A-Z][a-z]+", head) or re.match(r"[A-Z0-9`]|and\s[A-Z]", rest):
        return text  # 'Salt and Ink': a name
    return text[0].lower() + text[1:] if _common_word(head) else text


def _noun(word: str) -> bool:
    return "NOUN" in _lemmas(word.lower())


def is_noun_or_name(word: str) -> bool:
    """'Python', 'Django', 'chains': a word that can name a thing ('Let', 'Existing' cannot)."""
    lemmas = _lemmas(word.lower())
    return not lemmas or "NOUN" in lemmas


def is_base_verb(word: str) -> bool:
    """'buy', 'redeem': a verb in its base form."""
    return verb_lemma(word, base=True) == word.lower()


def _common_word(word: str) -> bool:
    """An adjective or a plural common noun ('Existing', 'Consumers'), not a name ('Django')."""
    lemmas = _lemmas(word.lower())
    return "ADJ" in lemmas or ("NOUN" in lemmas and lemmas["NOUN"][0] != word.lower())


def _sentence_initial_word(span: Span) -> bool:
    """'Consumers', 'Generated' opening a statement: capitalised for the sentence, not a name."""
    return span.start == 0 and span.kind == "name" and " " not in span.text and _common_word(span.text)


def _is_past(clause: _Clause) -> bool:
    if clause.aux:
        return clause.verb.lower() in ("was", "were", "had", "did", "could", "would", "might")
    return _tense(clause.verb, clause.lemma) == "did"


def _cleft_head(wh: str, past: bool) -> str:
    """'when' -> 'What was the date on which', 'which module' -> 'What is the module that'."""
    be = "was" if past else "is"
    if wh == "when":
        return f"What {be} the date on which"
    if wh == "in which year":
        return f"What {be} the year in which"
    if wh == "who":
        return f"Who {be} the person who"
    if wh == "where":
        return f"What {be} the place where"
    if wh == "how often":
        return f"What {be} the interval at which"
    if wh == "how much":
        return f"What {be} the amount that"
    if wh.startswith("how much "):  # 'how much latency': 'What is the amount of latency that'
        return f"What {be} the amount of {wh[len('how much ') :]} that"
    if wh.startswith("how many "):
        return f"What {be} the number of {wh[len('how many ') :]} that"
    if wh.startswith("which ") or wh == "what number":
        return f"What {be} the {wh.split(' ', 1)[1]} that"
    return f"What {be} it that"


# Words that open an adjunct after a clause's core: 'born | in Chicago on 14 September 1955'.
_ADJUNCT_OPENERS = {
    "in",
    "on",
    "at",
    "for",
    "with",
    "from",
    "by",
    "during",
    "since",
    "after",
    "before",
    "without",
    "using",
    "via",
    "through",
    "following",
    "rather",
    "instead",
    "when",
    "while",
    "because",
    "so",
    "as",
    "into",
    "under",
    "over",
    "across",
}


def _names_something(text: str) -> bool:
    """The words name a thing a question can be about: a capitalised name, a number or a code span."""
    return re.search(r"`|\d|(?<!^)\b[A-Z][\w.+-]*", text.strip()) is not None


def _short(question: str, core_words: int, wh_words: int) -> str | None:
    """The question cut at the first adjunct after its first ``core_words`` words (the wh-phrase, the
    verb and the subject), when what is left after the wh-phrase still names something; None when
    nothing would be cut or the cut would strand a word that needs what follows it."""
    words = question.rstrip("?").split()
    for index in range(core_words + 1, len(words)):
        if words[index].lower() not in _ADJUNCT_OPENERS:
            continue
        kept = words[:index]
        if "," in " ".join(kept[core_words:]):  # 'release Debian 13, codenamed': not a clause's core
            return None
        last = kept[-1].lower()
        if last in _STRANDING or last.endswith("ly") or len(words) - index < 2:
            return None
        return _question(" ".join(kept)) if _names_something(" ".join(words[wh_words:index])) else None
    return None


# Words a question cannot end on: what follows them is part of the same phrase.
_STRANDING = _AUX | _PREPOSITIONS | {"the", "a", "an", "that", "which", "who", "known", "codenamed", "called", "named"}


def _passive(text: str, span: Span, wh: str) -> str | None:
    """'OpenAI released GPT-5 on 7 August 2025', asked for the date -> 'When was GPT-5 released?':
    a past active clause whose direct object is a name, asked by that name (its complement kept:
    'When was Leo XIV called to Rome?')."""
    clause = main_verb(text)
    if clause is None or clause.aux or _tense(clause.verb, clause.lemma) != "did" or span.start < clause.verb_end:
        return None
    body = text.rstrip(".")
    name = r"[A-Z0-9`][\w.+`-]*(?:\s(?:of\s)?[A-Z0-9][\w.+'-]*){0,4}"
    match = re.match(rf"\s+((?:the\s)?{name})(?=[\s,.]|$)(?!,\d)", body[clause.verb_end :])
    if not match or span.text in match.group(1) or clause.verb_end + match.end() > span.start:
        return None
    _, r_start, r_end = wh_phrase(text, span)
    between = re.sub(r"^,[^,]*,", "", body[clause.verb_end + match.end() : r_start])  # an apposition
    middle = between.split()
    if wh in ("when", "in which year") and middle[-1:] and middle[-1].lower() in _DATE_PREPOSITIONS:
        middle = middle[:-1]
    rest = f"{' '.join(middle)} {body[r_end:]}".strip(" ,")
    forms = participles(clause.lemma)
    if not forms:
        return None
    thing = match.group(1)
    be = "were" if is_plural_noun(thing.split()[-1]) else "was"
    full = _question(f"{wh} {be} {thing} {forms[0]} {rest}")
    core = len(wh.split()) + 1 + len(thing.split()) + 1
    return _short(full, core - 1, len(wh.split())) or (full if not rest else None)


_BY_AGENT = re.compile(r"\s+(?:(?:now|also|still|only|[a-z]+ly)\s+)?(?P<participle>[a-z]+)\s+by\s+(?:the\s+)?$")


def _active(text: str, span: Span) -> str | None:
    """'Built-in CSP support is provided by `ContentSecurityPolicyMiddleware`', asked for the agent ->
    'Which middleware provides built-in CSP support?': a passive clause asked in the active voice,
    as people ask who or what does something."""
    clause = main_verb(text)
    if clause is None or clause.verb.lower() not in ("is", "are", "was", "were") or span.start < clause.verb_end:
        return None
    body = text.rstrip(".")
    by = _BY_AGENT.fullmatch(body[clause.verb_end : span.start])
    if not by:
        return None
    participle = by.group("participle")
    lemma = (_lemmas(participle).get("VERB") or ("",))[0]
    if not lemma or participle not in participles(lemma):
        return None
    from lemminflect import getInflection

    present = clause.verb.lower() in ("is", "are")
    several = re.search(r"\s(?:and|or)\s|,", span.text) is not None
    verb = (getInflection(lemma, ("VBP" if several else "VBZ") if present else "VBD") or (lemma,))[0]
    wh, _, r_end = wh_phrase(text, span)
    wh = _class_head(span) or (wh if wh == "who" or wh.startswith("which ") else "what")
    rest = body[r_end:].strip(" ,")
    return _question(f"{wh} {verb} {_lower_first(body[: clause.subject_end].strip())} {rest}")


def _class_head(span: Span) -> str | None:
    """'which middleware' for `ContentSecurityPolicyMiddleware`: a class named for its kind is asked by that kind."""
    if span.kind != "identifier":
        return None
    tail = re.search(r"[a-z0-9]([A-Z][a-z]+)`?$", span.text)
    return f"which {tail.group(1).lower()}" if tail and tail.group(1).lower() in _HEADS else None


def is_plural_noun(word: str) -> bool:
    """'packages', 'laureates': a plural common noun (lemminflect's noun lemma differs from it)."""
    lower = word.lower()
    noun = _lemmas(lower).get("NOUN")
    return bool(noun) and noun[0] != lower and lower.endswith("s")


_ACRONYM_NOTE = re.compile(r"\s\([A-Z]{2,6}s?\)")
_CALLED = re.compile(r",\s(?P<how>codenamed|code-named|known as)\s")


def _names_sibling(text: str, subject: str) -> bool:
    """True when the text names another version of the subject's product ('Rust 1.88.0', 'the Rust
    2024 edition' beside the subject 'Rust 1.85.0'; 'Windows 11' beside 'Windows 10').

    'In Rust 1.85.0, which Rust version stabilized let chains?' (answer: Rust 1.88.0) would tie the
    sibling's facts to the subject's name: the model then gives one version for the other.
    """
    named = re.match(r"([A-Z][\w+-]*)\s+(\d[\w.]*)", subject)
    if not named:
        return False
    product, version = named.groups()
    version = version.rstrip(".")
    for m in re.finditer(rf"\b{re.escape(product)}\s+(\d[\w.]*)", text):
        other = m.group(1).rstrip(".")
        if not (other == version or other.startswith(f"{version}.") or version.startswith(f"{other}.")):
            return True  # 'Python 3.14.0' is the subject 'Python 3.14' itself; 'Python 3.13' is not
    return False


def _called(text: str, span: Span, form: str) -> str | None:
    """'Debian 13, codenamed Trixie': the codename asked as one ('What is the codename of Debian 13?')
    and the thing by its codename ('Which Debian version is codenamed Trixie?'); '' when the span is
    neither, so the other forms ask it."""
    after = _CALLED.match(text, span.end)
    if after:  # the span is the thing that is called something
        alias = re.match(r"`[^`]+`|[\w.+-]+(?:\s[A-Z0-9][\w.+-]*)*", text[after.end() :])
        if not alias or form != "short":
            return ""
        wh, _, _ = wh_phrase(text, span)
        how = "codenamed" if after.group("how").startswith("code") else "known as"
        return _question(f"{wh} {'is' if not is_plural_noun(span.text.split()[-1]) else 'are'} {how} {alias.group(0)}")
    before = [m for m in _CALLED.finditer(text) if m.end() == span.start]
    if not before:
        return ""
    thing = re.search(
        r"(?:`[^`]+`|[A-Z0-9][\w.+-]*(?:\s[A-Z0-9][\w.+-]*){0,3}|(?:the\s)?(?:[\w-]+\s){0,2}[a-z][\w-]*)$",
        text[: before[0].start()],
    )
    if not thing:
        return None
    codename = before[0].group("how").startswith("code")
    be = "are" if is_plural_noun(thing.group(0).split()[-1]) else "is"
    return {
        "fronted": f"What is the codename of {thing.group(0)}?"
        if codename
        else f"What {be} {thing.group(0)} known as?",
        "short": f"What {be} {thing.group(0)} codenamed?" if codename else None,
        "embedded": f"Do you know the codename of {thing.group(0)}?" if codename else None,
        "cleft": f"What is the name that {thing.group(0)} {'go' if be == 'are' else 'goes'} by?",
    }.get(form)


# Verbs of release notes and news with a word people often ask with instead (transitive for transitive).
SYNONYMS = {
    "add": "introduce",
    "introduce": "add",
    "provide": "offer",
    "offer": "provide",
    "require": "need",
    "need": "require",
    "retain": "keep",
    "keep": "retain",
    "support": "work with",
    "drop": "remove",
    "remove": "drop",
    "gain": "get",
    "receive": "get",
    "use": "rely on",
    "enable": "turn on",
    "disable": "turn off",
    "ship": "come with",
    "contain": "include",
    "include": "contain",
    "elect": "choose",
    "lead": "head",
    "announce": "unveil",
    "win": "receive",
    "award": "give",
    "end": "stop",
    "deprecate": "phase out",
    "develop": "create",
    "demonstrate": "show",
}
# Verbs of coming out: 'X was released on D' is asked 'When did X come out?'.
_COMING_OUT = {"release", "launch", "publish"}


def _inflected(phrase: str, like: str, lemma: str) -> str:
    """``phrase`` (a base-form verb and its particle) in the form of the finite verb ``like``."""
    from lemminflect import getInflection

    head, _, rest = phrase.partition(" ")
    lower = like.lower()
    tag = "VBP" if lower == lemma else "VBZ" if lower.endswith("s") and not lower.endswith("ss") else "VBD"
    inflected = (getInflection(head, tag) or (head,))[0]
    return f"{inflected} {rest}".strip()


def _in_other_words(text, span, wh, left, right, body, clause, opens, r_start) -> str | None:
    """The fronted or subject question with its verb said in other words ('What does Django 6.0
    drop?' -> 'What does Django 6.0 remove?'); a release asked 'When did X come out?'."""
    if clause is None:
        return None
    participle = re.match(r"\s*(?:been\s+)?([a-z]+)", body[clause.verb_end :])
    released = clause.aux and participle and (_lemmas(participle.group(1)).get("VERB") or ("",))[0] in _COMING_OUT
    if wh in ("when", "in which year") and released and not opens and clause.subject_end <= r_start:
        return _question(f"{wh} did {_lower_first(body[: clause.subject_end].strip())} come out")
    if clause.aux or clause.lemma not in SYNONYMS or clause.verb.endswith("ing"):
        return None
    if re.match(r"\s+[a-z]+ing\b", body[clause.verb_end :]):
        return None  # 'keep receiving': 'retain receiving' is no English
    if clause.lemma == "support" and not re.search(r"\d", body[clause.verb_end :]):
        return None  # 'supports Python 3.12' works with it; 'supports skip scan lookups' does not
    synonym = SYNONYMS[clause.lemma]
    if opens:
        if not right.startswith(clause.verb):
            return None
        return _question(f"{wh} {_inflected(synonym, clause.verb, clause.lemma)}{right[len(clause.verb) :]}")
    if clause.subject_end > r_start:
        return None
    subject_text = _lower_first(body[: clause.subject_end].strip())
    middle = body[clause.verb_end : r_start].strip()
    if wh in ("when", "in which year") and middle.split()[-1:] and middle.split()[-1].lower() in _DATE_PREPOSITIONS:
        middle = " ".join(middle.split()[:-1])
    return _question(f"{wh} {_tense(clause.verb, clause.lemma)} {subject_text} {synonym} {middle} {right}")


_ADJECTIVE_SYNONYMS = {"final": "last", "last": "final", "latest": "newest", "newest": "latest", "largest": "biggest"}


def _other_adjective(question: str | None) -> str | None:
    """The question with an adjective said in other words ('Which version was Windows 10's last
    feature update?' for '... final feature update?'), for a statement whose verb has no synonym."""
    if not question:
        return None
    swapped = re.sub(
        r"\b(" + "|".join(_ADJECTIVE_SYNONYMS) + r")\b", lambda m: _ADJECTIVE_SYNONYMS[m.group(1)], question, count=1
    )
    return swapped if swapped != question else None


def ask(text: str, span: Span, form: str, subject: str = "", lead: int = 0) -> str | None:
    """One question for the span in one form; None when the form does not fit the statement."""
    called = _called(text, span, form)
    if called != "":
        return called
    text, span = clause_of(text, span)
    bare = _ACRONYM_NOTE.sub("", text)  # 'Extended Security Updates (ESU)': the acronym is said elsewhere
    if bare != text and span.text in bare:
        where = bare.find(span.text, max(0, span.start - (len(text) - len(bare))))
        text, span = bare, Span(span.text, span.kind, where, where + len(span.text))
    if span.start < 0 or len(text.split()) < 3:
        return None
    wh, r_start, r_end = wh_phrase(text, span)
    body = text.rstrip(".")
    left, right = body[:r_start].rstrip(), body[r_end:].strip()
    clause = main_verb(text)
    opens = not left or re.fullmatch(r"(?:the|a|an)", left, re.I) is not None
    if left and not opens and " " not in left:  # 'On <date> the cardinals ...': no form fits
        return None
    counted = re.fullmatch(r"(?:the|The)\s([a-z]+)\sof", left)
    if counted and wh.startswith("how many ") and clause is not None and r_end <= clause.subject_end:
        # 'The conclave of 133 cardinal electors chose ...': 'How many cardinal electors were in the conclave?'
        asked = f"how many {body[span.end : clause.subject_end].strip()} were in the {counted.group(1)}"
        return {"fronted": _question(asked), "embedded": _question(f"{_LEADS[lead % len(_LEADS)]} {asked}")}.get(form)
    if form == "subject":
        return _question(f"{wh} {right}") if opens and right else None
    if form == "short":
        if opens:
            return _short(_question(f"{wh} {right}"), len(wh.split()) + 1, len(wh.split())) if right else None
        full = ask(text, span, "fronted", subject, lead)
        if not full or clause is None:
            return None
        core = len(wh.split()) + 1 + len(body[: clause.subject_end].split()) + (0 if clause.aux else 1)
        middle = body[clause.verb_end : r_start].split()
        dated = wh in ("when", "in which year") and middle[-1:] and middle[-1].lower() in _DATE_PREPOSITIONS
        if middle[-1:] and middle[-1].lower() in _PREPOSITIONS and not dated:  # the wh's own preposition stays
            core = len(full.split()) - len(right.split())
        return _short(full, core - 1, len(wh.split()))
    if form == "passive":
        return _passive(text, span, wh) if wh in ("when", "in which year", "where") else None
    if form == "active":
        return _active(text, span)
    if form == "fronted" and opens:
        return None  # the subject form asks it
    if form == "in-situ":
        if opens:
            return None
        return _question(f"{left} {wh} {right}")
    if form == "synonym":
        return _in_other_words(text, span, wh, left, right, body, clause, opens, r_start)
    if form in ("fronted", "embedded", "context", "cleft"):
        if opens:
            declarative = f"{wh} {right}"
            inverted = declarative
        else:
            if clause is None or clause.subject_end > r_start:
                return None
            subject_text = _lower_first(body[: clause.subject_end].strip())
            middle = body[clause.verb_end : r_start].strip()
            if (
                wh in ("when", "in which year")
                and middle.split()[-1:]
                and middle.split()[-1].lower() in _DATE_PREPOSITIONS
            ):
                middle = " ".join(middle.split()[:-1])
            tail = f"{middle} {right}".strip()
            if clause.aux:
                inverted = f"{wh} {clause.verb} {subject_text} {tail}"
            else:
                inverted = f"{wh} {_tense(clause.verb, clause.lemma)} {subject_text} {clause.lemma} {tail}"
            declarative = f"{wh} {subject_text} {clause.verb} {tail}"
        if form == "cleft":
            past = clause is not None and _is_past(clause)
            rest = declarative[len(wh) :].strip()
            copula = re.search(r"\s(is|was|are|were)$", rest)
            if copula and clause and clause.verb == copula.group(1):  # 'who the manager is' -> 'who is the manager'
                rest = f"{copula.group(1)} {rest[: copula.start()]}"
            return _question(f"{_cleft_head(wh, past)} {rest}")
        if form == "fronted":
            return _question(inverted)
        if form == "embedded":
            if declarative == wh:  # nothing left to ask about
                return None
            return _question(f"{_LEADS[lead % len(_LEADS)]} {declarative}")
        if subject and subject.lower() not in text.lower() and not _names_sibling(text, subject):
            return _question(f"In {subject}, {inverted}")
        return None
    raise ValueError(f"unknown form {form!r}")


_ROW = re.compile(r"^(?P<key>.+?) in (?P<subject>.+?): (?P<value>.+?)(?:; (?P<more>.+))?\.$")
_ANSWER_KINDS = ("number", "version", "date", "identifier", "ordinal")
_NEW_DEFAULT = re.compile(r"(?:the\s+)?default\s+is\s+now\s+|(?:now\s+)?defaults\s+to\s+", re.I)


def _attribute(heading: str, subject: str) -> str:
    """A column heading as it reads in a question: 'Version in Debian 13' -> 'version', 'Laureate(s)' -> 'laureate'."""
    heading = re.sub(r"\(s\)$", "", heading.strip())
    heading = re.sub(r"\s+in\s+.+$", "", heading) if " in " in heading else heading
    return heading[:1].lower() + heading[1:]


def _typed_row_questions(key: str, subject: str, attribute: str, thing: str, value: Span) -> list[str]:
    """Two questions for a row's value in the words its column and kind call for: 'Who won the
    Literature prize in ...?', 'Which version of Linux kernel is in Debian 13?', 'What did GPT-5
    score on ...?', 'When did NumPy 2.3.5 come out?'."""
    people = re.split(r",\s*(?:and\s+)?|\s+and\s+", value.text)
    key = re.sub(r"\s*\([^)]*\)", "", key)  # 'Economic Sciences (Sveriges Riksbank Prize)': its name is enough
    if value.kind == "name" and all(_is_person(p) for p in people):
        won = attribute in ("laureate", "winner", "winners", "laureates", "recipient")
        return [
            f"Who is the {attribute} for the {key} {thing} in {subject}?",
            f"Who won the {key} {thing} in {subject}?" if won else f"Who is the {attribute} of {key} in {subject}?",
        ]
    if "version" in attribute.split():
        return [f"Which version of {key} is in {subject}?", f"Which {key} version does {subject} have?"]
    if attribute == "score":
        return [f"What did {subject} score on {key}?", f"What score did {subject} get on {key}?"]
    if value.kind == "date" and thing == "release":
        return [f"When was {key} released?", f"When did {key} come out?", f"What is the release date of {key}?"]
    if value.kind == "date":
        return [f"When is the {attribute} of {key} in {subject}?", f"In {subject}, when is {key}?"]
    return [f"In {subject}, what is the {attribute} of {key}?", f"What {attribute} does {subject} give for {key}?"]


def _row_questions(text: str, header: tuple[str, ...] = ()) -> list[Asked]:
    """A table row read as '<key> in <subject>: <value>[; <heading> <cell> ...]' is asked for its value
    ('What is the version of Linux kernel in Debian 13?') and, by its value, for its key ('Which
    release in NumPy 2.3.0 has the date 24 July 2025?')."""
    row = _ROW.match(text)
    if not row:
        return []
    key, subject, value = row.group("key"), row.group("subject"), row.group("value")
    start = row.start("value")
    spans = sorted(_merge_lists(value, salient_spans(value)), key=lambda s: (s.kind not in _ANSWER_KINDS, s.start))
    spans = [s for s in spans if not _sentence_initial_word(s)]
    span = (
        Span(spans[0].text, spans[0].kind, start + spans[0].start, start + spans[0].end)
        if spans
        else Span(value, "object", start, row.end("value"))
    )
    attribute = _attribute(header[1], subject) if len(header) > 1 else ""
    series = re.fullmatch(r"\d+\.x", key) is not None
    if attribute and series and attribute.endswith("ed") and verb_lemma(attribute):
        # '| 3.x | 3.7.0 to 3.9.4 |' under 'Affected': 'Which 3.x versions are affected by WLSA-2026-03?'
        wordings = [
            f"Which {key} versions are {attribute} by {subject}?",
            f"In {subject}, which {key} versions are {attribute}?",
        ]
    elif attribute:
        wordings = [
            f"What is the {attribute} for {key} in {subject}?",
            *_typed_row_questions(key, subject, attribute, _attribute(header[0], subject), span),
        ]
    else:
        wordings = [
            f"What is {key} in {subject}?",
            f"In {subject}, what about {key}?",
            f"What does {subject} say for {key}?",
        ]
    if _NEW_DEFAULT.match(value):  # 'The default is now `BigAutoField`': asked as what the key defaults to
        wordings = [
            f"What does {key} default to in {subject}?",
            f"What is the default {key} in {subject}?",
            f"In {subject}, what is {key} by default?",
            wordings[0],
        ]
    asked = [Asked(q, span, form) for q, form in zip(wordings, ("fronted", "context", "embedded", "synonym"))]
    if len(header) > 1 and span.text.lower() not in key.lower() and key.lower() not in value.lower():
        key_span = Span(key, "name", 0, len(key))
        thing = _attribute(header[0], subject)
        asked.append(Asked(f"Which {thing} in {subject} has the {attribute or 'value'} {value}?", key_span, "subject"))
        for heading in header[2:]:
            cell = re.search(rf"(?:^|; ){re.escape(heading)} (?P<cell>[^;]+)", row.group("more") or "")
            if cell:
                attribute = _attribute(heading, subject)
                question = (
                    f"Which {thing} in {subject} is {attribute} {cell.group('cell')}?"
                    if attribute.split()[-1] in _PREPOSITIONS
                    else f"Which {thing} in {subject} has the {attribute} {cell.group('cell')}?"
                )
                asked.append(Asked(question, key_span, "subject"))
                value = cell.group("cell")
                found = sorted(
                    _merge_lists(value, salient_spans(value)), key=lambda s: (s.kind not in _ANSWER_KINDS, s.start)
                )
                value_span = (
                    Span(found[0].text, found[0].kind, 0, len(found[0].text))
                    if found
                    else Span(value, "object", 0, len(value))
                )
                if attribute.split()[-1] in _PREPOSITIONS:  # 'Fixed in': 'In WLSA-2026-03, what is 3.x fixed in?'
                    forward = f"In {subject}, what is {key} {attribute}?"
                else:
                    forward = f"What is the {attribute} for {key} in {subject}?"
                if value_span.text.lower() not in forward.lower():
                    asked.append(Asked(forward, value_span, "fronted"))
                if series and attribute == "fixed in":  # an advisory's fixed release, asked as people ask it
                    asked.append(Asked(f"Which {key} release fixes {subject}?", value_span, "synonym"))
    if _names_sibling(key, subject):  # 'NumPy 2.3.5 in NumPy 2.3.0': a later release, not a part of the subject
        asked = [Asked(q, a.span, a.form) for a in asked if (q := _without_place(a.question, subject))]
    return asked


def _without_place(question: str, subject: str) -> str | None:
    """The question without its 'in <subject>' ('What is the date for NumPy 2.3.5?'); None where the
    subject is still named another way."""
    question = question.replace(f" in {subject}", "")
    if question.startswith(f"In {subject}, "):
        question = _question(question[len(f"In {subject}, ") :].rstrip("?"))
    return None if subject in question else question


def questions_for(
    text: str, subject: str = "", lead: int = 0, row: bool = False, header: tuple[str, ...] = ()
) -> list[Asked]:
    """Every question the statement gives, span by span and form by form (``row``: a table row read
    as '<key> in <subject>: <value>', under the column ``header``)."""
    if row:
        return _row_questions(text, header)
    asked: list[Asked] = []
    seen: set[str] = set()
    spans = askable_spans(text)
    for span in spans:
        worded = {form: ask(text, span, form, subject, lead) for form in FORMS}
        rivals = _rivals(span, spans)
        whole = worded["fronted"] or worded["subject"]  # the question that asks for the span itself
        worded["synonym"] = worded["synonym"] or _other_adjective(whole)
        for form, question in worded.items():
            if (
                question
                and len(question.split()) >= 4
                and question.lower() not in seen
                and span.text.lower() not in question.lower()
                and (form != "short" or all(rival.lower() in question.lower() for rival in rivals))
            ):
                seen.add(question.lower())
                asked.append(Asked(question, span, form))
        asked += _bounds(
            span, worded["embedded"] if lead == 0 else ask(text, span, "embedded", subject, 0), worded["fronted"]
        )
        asked += _besides(span, whole, lead)
        asked += _ranked_object(text, span)
    return [Asked(q, a.span, a.form) for a in asked if (q := standalone(a.question))]


def _rivals(span: Span, spans: list[Span]) -> list[str]:
    """The statement's other dates (for a date) or amounts of money (for an amount): a short question
    that cuts one away asks for either ('When did the first passengers ride the extension?' of a
    sentence with the opening date and the promised one), so it is not made."""
    money = MONEY.fullmatch(span.text) is not None
    return [
        other.text
        for other in spans
        if other is not span
        and (
            (span.kind in ("date", "time") and other.kind in ("date", "time"))
            or (money and MONEY.fullmatch(other.text) is not None)
        )
    ]


# A pronoun whose antecedent is in another sentence: 'What can existing crates move to it by running?',
# 'Which Debian version are more than 14,100 of them new compared with?'. Nobody can answer these.
_DANGLING = re.compile(
    r"\b(?:to|in|on|for|from|with|of|about|into|by|after|before) it\b"
    r"|\bthis (?:means?|article|page|post|document)\b|\b(?:these|those) notes\b",
    re.I,
)
_DEMONSTRATIVE = re.compile(r"\bthese\b(?= (?!(?:of|on|in|at|for|from|with|by|to)\b)[a-z])")


def _dangling_plural(question: str) -> bool:
    """'they'/'them'/'their' with nothing plural before it in the question ('Which Debian version are more
    than 14,100 of them new ...?'); 'Which new method streams events as they are written?' stands alone."""
    if re.search(r"\band they\b", question):
        return True  # '... in an `__annotate__` function and they are computed ...': another clause's subject
    pronoun = re.search(r"\b(?:they|them|their|theirs)\b", question)
    if not pronoun or question.startswith("Who "):
        return False
    before = re.findall(r"[A-Za-z]+", question[: pronoun.start()])
    return not any(is_plural_noun(word) or word in ("and", "both") for word in before)


def standalone(question: str) -> str | None:
    """The question as it reads without the sentences around its statement: 'these deferred annotations' is
    'the deferred annotations'; None when it points at something only another sentence names."""
    prose = re.sub(r"`[^`]*`", "", question)
    if _DANGLING.search(prose) or _dangling_plural(prose):
        return None
    return _DEMONSTRATIVE.sub("the", question) if _DEMONSTRATIVE.search(prose) else question


_FIRST_TO = re.compile(
    r"^(?P<subject>[^,]+?) (?P<be>is|was) the (?P<rank>first|last|only) (?P<what>[\w -]+?) to "
    r"(?P<verb>(?:[a-z]+ly )?[a-z]+) (?P<object>(?:the |a |an )?[^,]+?)(?:, (?:known as|called) (?P<alias>[^,]+))?\.$"
)


def _ranked_object(text: str, span: Span) -> list[Asked]:
    """What a 'first to' statement's subject was the first to act on, asked for by what it is:
    'Trixie is the first Debian release to officially support the 64-bit RISC-V architecture, known
    as `riscv64`' gives 'Which architecture is Trixie the first Debian release to officially support?'
    (answered by the span in the object or in its 'known as' name)."""
    ranked = _FIRST_TO.match(text)
    if not ranked or span.start < ranked.start("object"):
        return []
    head = ranked.group("object").split()[-1]
    if not _noun(head) or verb_lemma(ranked.group("verb").split()[-1], base=True) is None:
        return []
    be, subject, rank, what, verb = (ranked.group(g) for g in ("be", "subject", "rank", "what", "verb"))
    return [
        Asked(f"Which {head} {be} {subject} the {rank} {what} to {verb}?", span, "ranked"),
        Asked(f"{_LEADS[0]} which {head} {subject} {be} the {rank} {what} to {verb}?", span, "ranked"),
    ]


def _besides(span: Span, question: str | None, lead: int) -> list[Asked]:
    """The last and the first item of a listed answer asked for by the others, as people ask for the rest of a list:
    'Besides `Future`, what does the prelude gain?' (`IntoFuture`) for 'The prelude gains `Future` and
    `IntoFuture`'. Built from the question that asks for the whole list."""
    if not question or span.kind in ("date", "number", "version"):  # ranges and counts: see _bounds
        return []
    cuts = list(_LIST_SEPARATOR.finditer(span.text))
    if not 1 <= len(cuts) <= 3 or not re.search(r"\b(?:and|or)\b", cuts[-1].group(0)):
        return []  # 'Ghent, Belgium' names one place; a list ends with 'and' or 'or'

    singular = re.match(r"(?:What|Who)\s([a-z]+)\b", question)
    verb = singular.group(1) if singular else ""
    if span.start == 0 and (
        verb in ("is", "was", "has") or (verb.endswith("s") and verb_lemma(verb) not in (None, verb))
    ):
        return []  # 'Salt and Ink opens on ...': the subject's singular verb makes the two words one name
    bounds = [0] + [c.end() for c in cuts], [c.start() for c in cuts] + [len(span.text)]
    items = [Span(span.text[a:b], span.kind, span.start + a, span.start + b) for a, b in zip(*bounds)]
    if any(not normalise(item.text) or item.text.count("`") % 2 for item in items):  # a comma inside code
        return []
    asked = []
    for turn, item in enumerate((items[-1], items[0])):  # the last item by the ones before it, the first by the rest
        others = [o.text for o in items if o is not item]
        named = others[0] if len(others) == 1 else f"{', '.join(others[:-1])} and {others[-1]}"
        opening = ("Besides", "Apart from")[(turn + lead) % 2]
        asked.append(Asked(f"{opening} {named}, {question[0].lower()}{question[1:]}", item, "besides"))
    return asked


_VERSION_ITEM = re.compile(r"\d+(?:\.\d+)+|\d+")
VERSION_LIST = re.compile(
    r"(?P<name>[A-Z][\w+-]* )?(?P<items>\d[\w.]*(?:(?:,\s*(?:and\s+)?|\s+(?:and|to)\s+)\d[\w.]*)+)"
)


def _bounds(span: Span, embedded: str | None, fronted: str | None) -> list[Asked]:
    """Versions given as a range or a list are also asked for their ends, the way people ask about
    them: 'NumPy 2.3.0 supports Python versions 3.11 to 3.13' answers 'What is the newest of the
    Python versions NumPy 2.3.0 supports?' (3.13) and 'What is the oldest ...?' (3.11). Built from the
    span's embedded (first lead) and fronted questions."""
    found = VERSION_LIST.fullmatch(span.text) if span.kind in ("number", "version") else None
    if not found:
        return []
    items = list(_VERSION_ITEM.finditer(span.text, found.start("items")))
    order = [tuple(int(n) for n in m.group(0).split(".")) for m in items]
    if len(items) < 2 or order not in (sorted(order), sorted(order, reverse=True)):
        return []
    low, high = (items[0], items[-1]) if order == sorted(order) else (items[-1], items[0])
    name = found.group("name") or ""
    lead = f"{_LEADS[0]} "
    if not embedded or not embedded.startswith(lead) or not fronted:
        return []
    wh, _, rest = embedded[len(lead) :].partition(" ")  # 'which', 'Python versions NumPy 2.3.0 supports?'
    if wh == "which" and re.match(r"(?:\S+ )?(?:versions|releases) ", rest):
        things = rest
        plural = re.match(r"Which ((?:\S+ )?(?:version|release))s (.+)", fronted)
        up_to = f"Up to which {plural.group(1)} {plural.group(2)}" if plural else None
    elif wh == "what" and name:
        things = f"{name}versions {rest}"
        up_to = f"Up to which {name}version {fronted.split(' ', 1)[1]}"
    else:
        return []

    def at(m: re.Match[str]) -> Span:
        return Span(m.group(0), span.kind, span.start + m.start(), span.start + m.end())

    asked = [Asked(f"What is the newest of the {things}", at(high), "bound")]
    if up_to:
        asked.append(Asked(up_to, at(high), "bound"))
    return asked + [Asked(f"What is the oldest of the {things}", at(low), "bound")]
