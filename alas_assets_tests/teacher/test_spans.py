"""Salient spans of demo-style sentences, and the answer normalisation the reference judge relies on."""

from __future__ import annotations

import pytest

from alas_assets.teacher.spans import contains_span, normalise, salient_spans, split_sentences


def spans(sentence: str) -> dict[str, str]:
    return {s.text: s.kind for s in salient_spans(sentence)}


def test_date_and_version_of_a_release_sentence():
    found = spans("Python 3.14.0 was released on 7 October 2025.")
    assert found == {"Python 3.14.0": "version", "7 October 2025": "date"}


def test_multi_word_name_with_a_connector_is_one_span():
    found = spans("Hugo van Kemenade served as the release manager for Python 3.14.")
    assert found["Hugo van Kemenade"] == "name"
    assert found["Python 3.14"] == "version"
    assert "Hugo" not in found and "Kemenade" not in found


def test_identifiers_in_backticks_are_whole_spans():
    found = spans("PEP 734 added the `concurrent.interpreters` module to the Python 3.14 standard library.")
    assert found["`concurrent.interpreters`"] == "identifier"
    assert found["PEP 734"] == "version"
    assert found["Python 3.14"] == "version"


@pytest.mark.parametrize(
    ("sentence", "date"),
    [
        ("Microsoft ended support for Windows 10 on 14 October 2025.", "14 October 2025"),
        ("The release shipped on October 7, 2025, after a delay.", "October 7, 2025"),
        ("The survey starts in March 2026 at the latest.", "March 2026"),
        ("The winning team presents its work at the board meeting in October.", "October"),
    ],
)
def test_dates_in_every_written_form(sentence, date):
    assert spans(sentence)[date] == "date"


def test_numbers_with_thousands_separators_and_decimals():
    found = spans("Consumers could redeem 1,000 points, and the mirror is 4.2 metres wide.")
    assert found["1,000"] == "number"
    assert found["4.2"] == "number"


def test_names_in_a_list_are_separate_spans_and_sentence_openers_are_not_names():
    found = spans("The 2025 Nobel Prize in Physics was awarded to John Clarke, Michel Devoret and John Martinis.")
    for name in ("John Clarke", "Michel Devoret", "John Martinis"):
        assert found[name] == "name"
    assert "The" not in found
    assert not any(text.startswith("The ") for text in found)


def test_spans_are_in_sentence_order_and_do_not_overlap():
    sentence = "PEP 768 gave Python 3.14 a safe debugger interface through `sys.remote_exec` on 7 October 2025."
    found = salient_spans(sentence)
    assert [s.start for s in found] == sorted(s.start for s in found)
    for left, right in zip(found, found[1:]):
        assert left.end <= right.start
    for span in found:
        assert sentence[span.start : span.end] == span.text


def test_split_sentences_keeps_real_sentences_only():
    text = "Python 3.14.0 was released on 7 October 2025. It is fast. `t` strings arrived in Python 3.14.\nShort line."
    assert split_sentences(text) == [
        "Python 3.14.0 was released on 7 October 2025.",
        "`t` strings arrived in Python 3.14.",
    ]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("7 October 2025", "October 7, 2025"),
        ("1,200,000", "1200000"),
        ("`compression.zstd`", "compression.zstd"),
        ("Hugo van Kemenade", "hugo VAN kemenade"),
        ("Python’s", "Python's"),
    ],
)
def test_normalise_makes_equivalent_writings_equal(left, right):
    assert normalise(left) == normalise(right)


def test_normalise_keeps_version_dots():
    assert normalise("Python 3.14.") == "python 3.14"
    assert normalise("3.14") != normalise("314")


@pytest.mark.parametrize(
    ("answer", "span"),
    [
        ("It came out on October 7, 2025.", "7 October 2025"),
        ("It came out on 7 October 2025", "October 7, 2025"),
        ("About 1200000 people downloaded it.", "1,200,000"),
        ("About 1,200,000 people downloaded it.", "1200000"),
        ("The new module is compression.zstd.", "`compression.zstd`"),
        ("Use `compression.zstd` for that.", "compression.zstd"),
        ("python 3.14 is out", "Python 3.14"),
        ("The release manager was Hugo van Kemenade.", "Hugo van Kemenade"),
        ("A spider has eight legs.", "8"),
        ("There are twenty-four hours in a day.", "24"),
        ("Seven days.", "7"),
    ],
)
def test_contains_span_matches_other_writings_of_the_span(answer, span):
    assert contains_span(answer, span)


@pytest.mark.parametrize(
    ("answer", "span"),
    [
        ("Version 3.140 was released.", "3.14"),
        ("Version 13.14 was released.", "3.14"),
        ("It had 12000 users.", "1,200"),
        ("It came out on 17 October 2025.", "7 October 2025"),
        ("It came out on 7 October 2024.", "7 October 2025"),
        ("Hugo Kemenade", "Hugo van Kemenade"),
        ("Python 3.13 is out", "Python 3.14"),
        ("A spider has eighteen legs.", "8"),
        ("It is one of the answers.", "1"),  # 'one' as a pronoun is not a count
        ("anything at all", ""),
        ("", "3.14"),
    ],
)
def test_contains_span_does_not_match_a_different_fact(answer, span):
    assert not contains_span(answer, span)


def test_a_unit_after_a_number_is_no_name():
    spans = {s.text: s.kind for s in salient_spans("Tern keeps 38 TB of events, reads at 2 GHz and answers in 400 ms.")}
    assert spans == {"Tern": "name", "38": "number", "2": "number", "400": "number"}
    assert salient_spans("The TB team wrote it.")[0].text == "TB"  # a name where no number comes before


def test_money_times_of_day_and_dates_without_a_year_are_whole_spans():
    assert spans("The extension cost £86 million, over its budget of €77.5m.") == {
        "£86 million": "number",
        "€77.5m": "number",
    }
    assert spans("The problem started at 05:40 and ended at 10:15.") == {"05:40": "time", "10:15": "time"}
    assert spans("We upgraded on 31 March, and the weekend starts on September 12.") == {
        "31 March": "date",
        "September 12": "date",
    }
    assert spans("It was released in March 2026.") == {"March 2026": "date"}
