"""Natural questions from documents as people write them: paragraphs, pronouns, code spans, tables."""

from __future__ import annotations

from alas_assets.teacher.questions import questions_for
from alas_assets.teacher.statements import document_subject, statements
from alas_assets_tests.teacher.documents import synthesized

BODY = """# Zephyr Toolkit 9.2

Zephyr Toolkit 9.2 was released on 4 March 2026. It adds the `zephyr.flow` module for streaming pipelines.
This release also changes the `Pipeline.__init__` method, which now takes a `timeout` argument.
Marta Kowalczyk led the release. She said that 9.2 raised the default cache size to 512 megabytes.

| Platform | Status |
|----------|--------|
| Windows on ARM | supported |
"""


def test_pronouns_are_resolved_and_identifiers_kept():
    texts = _texts("Zephyr Toolkit 9.2 release notes", BODY)
    assert document_subject("What's new in Zephyr Toolkit 9.2") == "Zephyr Toolkit 9.2"
    assert "Zephyr Toolkit 9.2 adds the `zephyr.flow` module for streaming pipelines." in texts
    assert any(t.startswith("Zephyr Toolkit 9.2 also changes the `Pipeline.__init__` method") for t in texts)
    assert any(t.startswith("Marta Kowalczyk said that 9.2 raised") for t in texts)
    assert "Windows on ARM in Zephyr Toolkit 9.2: supported." in texts


def test_a_paragraph_becomes_natural_questions_about_every_salient_fact():
    pairs = synthesized("Zephyr Toolkit 9.2 release notes", BODY, "zephyr")
    questions = [p for p in pairs if p.direction != "summary"]
    for pair in questions:
        assert pair.question.endswith("?") and "___" not in pair.question
        assert pair.question.split()[0] in (
            "When",
            "Where",
            "Who",
            "Which",
            "What",
            "How",
            "Do",
            "Can",
            "I'd",
            "Could",
            "In",
        )
        assert pair.quote not in pair.question and pair.answer_span.lower() not in pair.question.lower()
        # the answer opens with the fact, then gives the statement it comes from
        opening, _, statement = pair.answer.partition(" — ")
        assert opening.lower() == pair.answer_span.lower() and pair.answer_span in statement
    answers = {p.answer_span for p in pairs}
    # Every salient fact is asked (or held out as a probe): the date, the module, the dunder method, the
    # argument, the person, the size.
    for fact in ("4 March 2026", "`zephyr.flow`", "`Pipeline.__init__`", "`timeout`", "Marta Kowalczyk"):
        assert fact in answers, fact
    wordings = {p.question for p in questions}
    assert "When was Zephyr Toolkit 9.2 released?" in wordings or any(
        p.split == "probe" and p.answer_span == "4 March 2026" for p in pairs
    )
    assert "Which module does Zephyr Toolkit 9.2 add for streaming pipelines?" in wordings


def test_questions_name_the_answer_type():
    asked = {
        a.question: a.span.text
        for a in questions_for("The new `annotationlib` module provides tools for inspecting annotations.")
    }
    assert asked["Which new module provides tools for inspecting annotations?"] == "`annotationlib`"
    dated = _asked("Halyard Data was founded in 2019 by Marja Lehtonen.")
    assert dated.get("In which year was Halyard Data founded by Marja Lehtonen?") == "2019"


def _asked(text: str, subject: str = "") -> dict[str, str]:
    return {a.question: a.span.text for a in questions_for(text, subject)}


def _texts(title: str, body: str) -> list[str]:
    """The statements of a document, as text."""
    return [s.text for s in statements(title, body)]


def _asked_each(texts: list[str], subject: str = "") -> dict[str, str]:
    """Every question of several statements, with the span each asks for."""
    return {q: span for t in texts for q, span in _asked(t, subject).items()}


def test_counts_amounts_ordinals_and_modifiers_are_asked_as_people_ask_them():
    assert (
        _asked("Consumers can redeem 1,000 Microsoft Rewards points.")[
            "How many Microsoft Rewards points can consumers redeem?"
        ]
        == "1,000"
    )
    assert (
        _asked("At launch, the full `gpt-5` model cost 1.25 US dollars per million input tokens.")[
            "How much did the full `gpt-5` model cost per million input tokens at launch?"
        ]
        == "1.25"
    )
    assert (
        _asked("The conclave chose him on its fourth ballot.")["Which ballot did the conclave choose him on?"]
        == "fourth"
    )
    assert (
        _asked("MD5 password authentication is now deprecated.")[
            "What kind of password authentication is now deprecated?"
        ]
        == "MD5"
    )
    assert (
        _asked("A new view, `pg_aios`, lists the operations in progress.")[
            "Which view lists the operations in progress?"
        ]
        == "`pg_aios`"
    )
    assert (
        _asked("Fragments are defined with the `partialdef` template tag.")[
            "Which template tag are fragments defined with?"
        ]
        == "`partialdef`"
    )
    assert (
        _asked("The Physics prize was awarded to John Clarke, Michel Devoret and John Martinis.")[
            "Who was the Physics prize awarded to?"
        ]
        == "John Clarke, Michel Devoret and John Martinis"
    )


def test_a_word_that_only_modifies_a_noun_is_not_asked_alone():
    asked = _asked("Trixie is the first Debian release to officially support the 64-bit RISC-V architecture.")
    assert set(asked.values()) == {"Trixie"}
    assert all(not q.startswith("What number") for q in asked)


def test_the_subject_and_the_objects_of_later_clauses_are_asked():
    asked = _asked("A real-time router looks at each request and chooses a model.")
    assert asked["What looks at each request?"] == "A real-time router"
    later = _asked("Upgrades are smoother: `pg_upgrade` now retains optimizer statistics, so clusters plan well.")
    assert later["What does `pg_upgrade` now retain?"] == "optimizer statistics"


LISTS_AND_LABELS = """# Zephyr Toolkit 9.2

Users can get support in one of two ways:

- buy a support plan for 40 US dollars;
- in the European Union, ask the community forum.

- **Streaming (PEP 9001).** The `zephyr.flow` module adds streaming pipelines.

The prize was shared by Ada Lovelace, Grace Hopper and Alan Turing. They developed the first compilers.
From 2015 to 2023 she served as Bishop of Chiclayo.

| Release | Date | Notes |
|---------|------|-------|
| Zephyr 9.2.1 | 1 April 2026 | Fixes the cache leak |
"""


def test_list_items_labels_pronouns_and_table_rows_become_statements_questions_can_ask():
    texts = _texts("Zephyr Toolkit 9.2", LISTS_AND_LABELS)
    assert "Users can buy a support plan for 40 US dollars." in texts
    assert "Users can ask the community forum in the European Union." in texts
    assert "Streaming is specified in PEP 9001." in texts
    assert "Ada Lovelace, Grace Hopper and Alan Turing developed the first compilers." in texts
    rows = [s for s in statements("Zephyr Toolkit 9.2", LISTS_AND_LABELS) if s.kind == "row"]
    asked = {a.question: a.span.text for a in questions_for(rows[0].text, row=True, header=rows[0].header)}
    assert asked["What is the date for Zephyr 9.2.1 in Zephyr Toolkit 9.2?"] == "1 April 2026"
    assert asked["Which release in Zephyr Toolkit 9.2 has the date 1 April 2026?"] == "Zephyr 9.2.1"
    assert asked["Which release in Zephyr Toolkit 9.2 has the notes Fixes the cache leak?"] == "Zephyr 9.2.1"
    assert "PEP 9001" in _asked("Streaming is specified in PEP 9001.").values()


def test_descriptions_object_pronouns_and_counted_lists_name_what_they_stand_for():
    body = (
        "Quillsoft released Vellum 3 on 2 May 2026. The company describes it as its fastest editor yet. "
        "The editor ships in two editions: `vellum` and `vellum-lite`. "
        "All of them have a plugin limit of 64 plugins.\n\n"
        "The software had been announced on 1 January 2026."
    )
    texts = _texts("Introducing Vellum 3", body)
    assert "Quillsoft describes Vellum 3 as its fastest editor yet." in texts
    assert "The editor ships in the two editions `vellum` and `vellum-lite`." in texts
    assert "Vellum 3 had been announced on 1 January 2026." in texts
    asked = _asked_each(texts, "Vellum 3")
    assert asked["What does the editor ship in?"] == "`vellum` and `vellum-lite`"
    # 'have' with an object is the main verb (do-support), 'had been' an auxiliary
    assert "Both editions have a plugin limit of 64 plugins." in texts  # 'All of them': the editions
    assert asked["How many plugins do both editions have a plugin limit of?"] == "64"
    assert asked["When had Vellum 3 been announced?"] == "1 January 2026"
    assert not any(q.startswith("Do you know what?") for q in asked)


def test_each_of_two_amounts_and_a_version_range_is_asked_on_its_own():
    amounts = (
        "At launch, the full `vellum` plan cost 5 US dollars per month for one seat "
        "and 40 US dollars per month for ten seats."
    )
    asked = {a.question: a.span.text for a in questions_for(amounts)}
    assert asked["How much did the full `vellum` plan cost per month for one seat at launch?"] == "5"
    assert asked["How much did the full `vellum` plan cost per month for ten seats at launch?"] == "40"
    assert not any("40" in q or "5 US" in q for q in asked)
    ranged = _asked("Vellum 3 supports Python versions 3.11 to 3.13.")
    assert ranged["Which Python versions does Vellum 3 support?"] == "3.11 to 3.13"


def test_the_ends_of_a_version_range_or_list_are_asked_as_newest_and_oldest():
    text = "Vellum 3 supports Python versions 3.11 to 3.13."
    ranged = {a.question: a.span for a in questions_for(text)}
    assert ranged["What is the newest of the Python versions Vellum 3 supports?"].text == "3.13"
    assert ranged["Up to which Python version does Vellum 3 support?"].text == "3.13"
    oldest = ranged["What is the oldest of the Python versions Vellum 3 supports?"]
    assert text[oldest.start : oldest.end] == "3.11"  # the span cites the statement where it stands
    listed = _asked("Vellum 4 supports Python 3.14, 3.13 and 3.12.")
    assert listed["What is the newest of the Python versions Vellum 4 supports?"] == "3.14"
    assert listed["What is the oldest of the Python versions Vellum 4 supports?"] == "3.12"
    assert not any("newest" in q for q in (a.question for a in questions_for("From 2015 to 2023 the team grew.")))
    assert not any("newest" in a.question for a in questions_for("Vellum 5 supports Python 3.12, 3.14 and 3.13."))


def test_a_platform_named_name_on_name_is_one_answer():
    asked = _asked("Vellum 3 adds preliminary support for Windows on ARM.")
    assert asked["What does Vellum 3 add preliminary support for?"] == "Windows on ARM"
    assert "Windows" not in asked.values()


def test_an_opening_period_is_asked_with_when_and_the_rest_of_the_sentence_stays_askable():
    asked = {
        a.question: a.span.text
        for a in questions_for("From 2019 to 2022 Anna Nowak served as mayor of Tarnow, a city in the south.")
    }
    assert asked["When did Anna Nowak serve as mayor of Tarnow, a city in the south?"] == "2019 to 2022"
    assert any(span == "Tarnow" for span in asked.values())
    assert not any(" to?" in q or "from to" in q for q in asked)


def test_short_questions_leave_out_adjuncts_and_a_past_event_is_asked_about_its_object():
    born = _asked("Prevost was born in Chicago on 14 September 1955.")
    assert born["Where was Prevost born?"] == "Chicago"  # as people ask it, without the date
    assert born["When was Prevost born?"] == "14 September 1955"
    assert born["Where was Prevost born on 14 September 1955?"] == "Chicago"  # the full question stays
    inaugurated = _asked("Leo XIV was formally inaugurated at a Mass in St Peter's Square on 18 May 2025.")
    assert inaugurated["When was Leo XIV formally inaugurated?"] == "18 May 2025"
    released = _asked("Quillsoft released Vellum 3 on 2 May 2026.")
    assert released["When was Vellum 3 released?"] == "2 May 2026"  # by the thing released, passive
    assert released["When did Quillsoft release Vellum 3?"] == "2 May 2026"
    # a cut that leaves nothing named, or strands the wh-phrase's preposition, is not made
    support = _asked("The new `zlib` module provides tools for reading compressed archives.")
    assert "Which new module provides tools?" not in support
    assert support["Which new module provides tools for reading compressed archives?"] == "`zlib`"
    windows = _asked("Vellum 3 adds preliminary support for Windows on ARM.")
    assert not any(q.endswith("add preliminary support?") for q in windows)


def test_this_release_they_and_it_is_possible_name_what_they_stand_for():
    body = (
        "Vellum 3 was released on 2 May 2026. The release manager for this version is Ada Quill.\n\n"
        "Vellum 3 also stabilizes live macros, as specified in RFC 12. They are written with the `@live` prefix.\n\n"
        "Exported files now default to `UTF-8`. They keep their line endings instead of rewriting them.\n\n"
        "It is now possible to open several windows in one process, using the `vellum.windows` module."
    )
    texts = _texts("Introducing Vellum 3", body)
    assert "The release manager for Vellum 3 is Ada Quill." in texts
    assert "Live macros are written with the `@live` prefix." in texts
    assert "Exported files keep their line endings instead of rewriting them." in texts
    assert "Vellum 3 can now open several windows in one process, using the `vellum.windows` module." in texts
    asked = _asked_each(texts, "Vellum 3")
    assert asked["Who is the release manager for Vellum 3?"] == "Ada Quill"
    assert asked["Which prefix are live macros written with?"] == "`@live`"


def test_them_after_a_sentence_too_short_to_teach_is_what_that_sentence_names():
    body = "Teams pay more. For them, the first year of Vellum Cloud costs 40 US dollars per seat."
    texts = _texts("Vellum 3", body)
    assert texts == ["For teams, the first year of Vellum Cloud costs 40 US dollars per seat."]
    asked = {a.question: a.span.text for a in questions_for(texts[0], "Vellum 3")}
    assert asked["How much does the first year of Vellum Cloud cost per seat for teams?"] == "40"


def test_those_versions_are_the_versions_listed_before_and_still_is_no_verb():
    body = (
        "The Vellum 2 series is the last one that supports Python 3.9 and 3.10, "
        "so projects still on those versions should stay on Vellum 2."
    )
    texts = _texts("Vellum 3", body)
    assert any("projects still on Python 3.9 and 3.10 should stay on Vellum 2" in t for t in texts)
    asked = _asked("Projects still on Python 3.9 should stay on Vellum 2.")
    assert asked["Which Vellum version should projects still on Python 3.9 stay on?"] == "Vellum 2"


def test_a_version_before_a_plural_noun_is_not_asked_for_alone():
    asked = _asked("After that date, Vellum 3 PCs no longer receive free security updates.")
    assert not any(q.startswith("Which Vellum version PCs") for q in asked)
    assert _asked("Vellum 3 contains 12 plugins.")["Which Vellum version contains 12 plugins?"] == "Vellum 3"


def test_it_after_a_subject_with_a_plural_noun_inside_is_the_whole_subject():
    body = "A built-in background tasks queue lives in the new `vellum.tasks` module. It lets code run work later."
    texts = _texts("Vellum 3", body)
    assert "A built-in background tasks queue lets code run work later." in texts


def test_facts_inside_a_subject_a_passive_complement_and_a_release_code_are_asked():
    asked = _asked("The conclave of 133 cardinal electors chose Ada Quill on its fourth ballot.")
    assert asked["How many cardinal electors were in the conclave?"] == "133"
    honoured = _asked("Ada Quill and Bo Lind were honoured for discoveries concerning sparse indexes.")
    assert honoured["What were Ada Quill and Bo Lind honoured for?"] == "discoveries concerning sparse indexes"
    code = _asked("Vellum 3 had been released on 2 May 2026, and version 26H1 was its final feature update.")
    assert code["Which version was Vellum 3's final feature update?"] == "26H1"
    chip = _asked("Vellum 4 requires a Trusted Sync Module version 2.0.")
    assert chip["What does Vellum 4 require?"] == "Trusted Sync Module version 2.0"
    texts = _texts(
        "Vellum", "The usual way forward is an upgrade to Vellum 4, which is free. It requires a licence key."
    )
    assert "Vellum 4 requires a licence key." in texts  # 'It': the thing named, not 'the usual way forward'


def test_a_verb_is_also_asked_in_other_words_and_a_release_as_coming_out():
    asked = _asked("Vellum 3 drops support for Python 3.9.")
    assert asked["Which Python version does Vellum 3 remove support for?"] == "Python 3.9"
    released = _asked("Vellum 3 was released on 2 May 2026.")
    assert released["When did Vellum 3 come out?"] == "2 May 2026"
    provides = _asked("The new `vellum.sync` module provides tools for shared editing.")
    assert provides["Which new module offers tools for shared editing?"] == "`vellum.sync`"
    features = _asked("Vellum 3 supports live macros in templates.")
    assert not any("work with" in q for q in features)  # a feature is supported, not worked with


def test_instructions_appositions_code_spans_and_advisory_titles_are_read_as_people_write_them():
    body = (
        "Stop the server and run `vellum-migrate --check`. It reports problems without changing anything.\n\n"
        'If you cannot upgrade right away, set `sync = "disabled"` in `vellum.toml`.\n\n'
        "Quillfest, the annual conference for Vellum users, is coming to Ghent, Belgium."
    )
    texts = _texts("VSA-2026-01 - path traversal in sync", body)
    assert document_subject("VSA-2026-01 - path traversal in sync") == "VSA-2026-01"
    assert "You stop the server and run `vellum-migrate --check`." in texts
    assert "`vellum-migrate --check` reports problems without changing anything." in texts
    assert 'You set `sync = "disabled"` in `vellum.toml` if you cannot upgrade right away.' in texts
    assert "Quillfest is coming to Ghent, Belgium." in texts
    assert "Quillfest is the annual conference for Vellum users." in texts
    asked = _asked_each(texts, "VSA-2026-01")
    assert asked["What do you stop the server and run?"] == "`vellum-migrate --check`"
    assert asked["Where is Quillfest coming?"] == "Ghent, Belgium"
    assert all('"disabled"' in q for q in asked if "`sync" in q)  # a code span is never rewritten
    assert "Which version do you upgrade to first?" in _asked("You upgrade to 3.9 first.")


def test_a_byline_says_who_wrote_it_and_kinds_listed_after_their_intro_are_each_a_fact():
    body = (
        "*By Ada Quill, staff engineer on the sync team*\n\n"
        "At launch, 3.1 supports two kinds of destination:\n\n"
        "- S3-compatible object storage;\n"
        "- Azure Blob Storage."
    )
    texts = _texts("Live sync is coming in Vellum 3.1", body)
    assert "Ada Quill wrote the article about Vellum 3.1." in texts
    assert "Ada Quill is a staff engineer on the sync team." in texts
    assert "At launch, 3.1 supports Azure Blob Storage." in texts
    asked = _asked_each(texts, "Vellum 3.1")
    assert asked["Who wrote the article about Vellum 3.1?"] == "Ada Quill"
    assert asked["Which version supports Azure Blob Storage at launch?"] == "3.1"  # a release, not a count


def test_every_column_of_a_table_row_is_asked_both_ways():
    body = "| Series | Affected | Fixed in |\n|---|---|---|\n| 3.x | 3.7.0 to 3.9.4 | 3.9.5 |\n"
    [row] = [s for s in statements("VSA-2026-01 - path traversal in sync", body) if s.kind == "row"]
    asked = {a.question: a.span.text for a in questions_for(row.text, row=True, header=row.header)}
    assert asked["In VSA-2026-01, what is 3.x fixed in?"] == "3.9.5"
    assert asked["Which series in VSA-2026-01 is fixed in 3.9.5?"] == "3.x"
    assert asked["Which 3.x versions are affected by VSA-2026-01?"] == "3.7.0 to 3.9.4"
    assert asked["Which 3.x release fixes VSA-2026-01?"] == "3.9.5"


def test_a_sentence_opening_with_a_name_or_a_verb_like_word_is_no_instruction():
    body = (
        "Quill 2.4.0 also adds offline maps, as specified in RFC 9110.\n\n"
        "Let bindings arrived a few months afterwards. Quill 2.6.0, released on 3 March 2026, "
        "stabilized them for the Quill 2026 edition.\n\n"
        "`quill.open` and `quill.close` become async functions."
    )
    texts = _texts("Quill 2.4.0", body)
    assert not any(t.startswith("You ") for t in texts)
    assert "Quill 2.6.0 stabilized let bindings for the Quill 2026 edition." in texts  # 'them' resolved
    assert "Quill 2.6.0 was released on 3 March 2026." in texts
    asked = _asked_each(texts, "Quill 2.4.0")
    assert asked["Which Quill version stabilized let bindings for the Quill 2026 edition?"] == "Quill 2.6.0"
    assert asked["Which edition did Quill 2.6.0 stabilize let bindings for?"] == "Quill 2026"
    assert asked["When was Quill 2.6.0 released?"] == "3 March 2026"
    assert asked["What do `quill.open` and `quill.close` become?"] == "async functions"
    assert asked["What become async functions?"] == "`quill.open` and `quill.close`"
    assert not any("kind of become" in q for q in asked)


def test_a_table_row_is_asked_in_the_words_its_column_and_value_call_for():
    body = (
        "| Award | Winner(s) |\n|---|---|\n| Best Plugin (community vote) | Ada Quill and Tom Birch |\n\n"
        "| Component | Version in Vellum 3 |\n|---|---|\n| Sync engine | 2.4 |\n\n"
        "| Benchmark | Score |\n|---|---|\n| QuillBench | 81 percent |\n\n"
        "| Release | Date |\n|---|---|\n| Vellum 3.0.1 | 4 May 2026 |"
    )
    asked = {}
    for row in (s for s in statements("Vellum 3", body) if s.kind == "row"):
        asked.update({a.question: a.span.text for a in questions_for(row.text, row=True, header=row.header)})
    assert asked["Who won the Best Plugin award in Vellum 3?"] == "Ada Quill and Tom Birch"
    assert asked["Which version of Sync engine is in Vellum 3?"] == "2.4"
    assert asked["What did Vellum 3 score on QuillBench?"] == "81"
    assert asked["When did Vellum 3.0.1 come out?"] == "4 May 2026"
    assert not any(q.startswith("What does Vellum 3 say") for q in asked)


def test_a_table_cell_that_opens_with_a_verb_is_asked_as_what_its_row_did():
    body = (
        "| Release | Notes |\n|---|---|\n| Vellum 3.0.2 | Added wheels for Python 3.14.0rc1 |\n"
        "| Vellum 3.0.3 | stable |"
    )
    texts = _texts("Vellum 3", body)
    assert "Vellum 3.0.2 added wheels for Python 3.14.0rc1." in texts
    assert not any(t.startswith("Vellum 3.0.3 stable") for t in texts)
    trained = {p.question: p.answer_span for p in synthesized("Vellum 3", body, "vellum-3") if p.split == "train"}
    assert trained["Which Vellum version added wheels for Python 3.14.0rc1?"] == "Vellum 3.0.2"
    assert trained["Which Python version did Vellum 3.0.2 add wheels for?"] == "Python 3.14.0rc1"


def test_a_change_cell_is_asked_as_what_the_release_did_and_what_the_setting_defaults_to():
    body = (
        "| Area | Change in 3.0 |\n|---|---|\n| `SYNC_MODE` | The default is now `Journaled` |\n"
        "| Bcrypt hasher | Work factor raised to 14 |\n| SQLite | Support for SQLite 3.31 is dropped |\n"
        "| Sidebar | Redesigned |"
    )
    texts = _texts("Vellum 3.0", body)
    assert "Vellum 3.0 drops support for SQLite 3.31." in texts
    assert "Vellum 3.0 raises the Bcrypt hasher work factor to 14." in texts
    assert not any(t.startswith("Vellum 3.0 redesign") for t in texts)  # no thing the cell says was redesigned
    trained = {p.question: p.answer_span for p in synthesized("Vellum 3.0", body, "vellum-3-0") if p.split == "train"}
    assert trained["What does `SYNC_MODE` default to in Vellum 3.0?"] == "`Journaled`"
    assert trained["Which SQLite version does Vellum 3.0 drop support for?"] == "SQLite 3.31"
    assert trained["What number does Vellum 3.0 raise the Bcrypt hasher work factor to?"] == "14"


def test_what_a_subject_was_the_first_to_act_on_is_asked_by_what_it_is():
    text = "Vellum 3 is the first Vellum release to natively support the Wayland display protocol, known as `wl`."
    asked = _asked(text, "Vellum 3")
    assert asked["Which protocol is Vellum 3 the first Vellum release to natively support?"] == "`wl`"
    plain = {a.question for a in questions_for("Ada Quill was the first engineer to join the team.")}
    assert not any(q.startswith("Which team") for q in plain), plain  # no span in the object: nothing to ask for


def test_a_verb_before_a_gerund_is_the_finite_verb_and_keeps_its_own_word():
    asked = {
        a.question: a.span.text for a in questions_for("Vellum Apps on Linux keep receiving fixes until 4 May 2027.")
    }
    assert asked["When do Vellum Apps on Linux keep receiving fixes until?"] == "4 May 2027"
    assert not any("receive fixes" in q or "retain" in q for q in asked), asked


def test_a_second_clause_about_the_same_person_is_its_own_statement_and_a_bare_rank_is_not_asked():
    body = "Ada Quill is the 12th chair of the Vellum Foundation, and she is the first chair born in Lisbon."
    texts = _texts("Vellum Foundation", body)
    assert texts == [
        "Ada Quill is the 12th chair of the Vellum Foundation.",
        "Ada Quill is the first chair born in Lisbon.",
    ]
    asked = _asked_each(texts, "Vellum Foundation")
    assert asked["Who is the first chair born in Lisbon?"] == "Ada Quill"
    assert asked["Which chair is Ada Quill of the Vellum Foundation?"] == "12th"
    assert "first" not in asked.values(), asked  # 'Which chair is Ada Quill born in Lisbon?' asks nothing


def test_an_institution_named_the_x_of_y_is_one_name_asked_as_which_x():
    asked = _asked("Ada Quill joined the University of Vellum in 2019.")
    assert asked["Which university did Ada Quill join in 2019?"] == "University of Vellum"
    assert asked["Who joined the University of Vellum in 2019?"] == "Ada Quill"


def test_a_labelled_field_without_a_verb_is_a_statement_about_the_document():
    body = "**Severity:** Critical (CVSS score 9.4)\n\n**Template strings.** A new kind of literal arrives."
    texts = _texts("VSA-2026-01 - path traversal in sync", body)
    assert texts[:2] == ["The severity of VSA-2026-01 is Critical.", "The CVSS score of VSA-2026-01 is 9.4."]
    assert "A new kind of literal arrives." in texts  # a label before a sentence stays its section
    asked = _asked_each(texts, "VSA-2026-01")
    assert asked["What is the severity of VSA-2026-01?"] == "Critical"
    assert asked["What is the CVSS score of VSA-2026-01?"] == "9.4"


def test_a_measured_amount_is_asked_by_what_it_measures_and_a_relative_clause_by_its_name():
    body = (
        "A read from the cloud adds about 30 milliseconds of latency for the first page it touches. "
        "Skerry, a shipping firm that keeps 12 TB of invoices in Vellum, has run it since May 2026."
    )
    texts = _texts("Vellum 3", body)
    assert "Skerry keeps 12 TB of invoices in Vellum." in texts
    assert "Skerry is a shipping firm." in texts
    asked = _asked_each(texts, "Vellum 3")
    assert asked["How much latency does a read from the cloud add for the first page it touches?"] == "30"
    assert asked["How many TB of invoices does Skerry keep in Vellum?"] == "12"
    assert "first" not in asked.values(), asked  # 'the first page it touches' ranks what follows


def test_the_company_and_a_labelled_list_item_are_said_by_name():
    body = (
        "Quillworks is the company behind Vellum. In May 2024 the company raised 9 million euros. "
        "It uses the money to hire engineers.\n\n"
        "- **Vellum Sync**, a hosted service that mirrors journals for customers."
    )
    texts = _texts("About Quillworks", body)
    assert "Quillworks raised 9 million euros in May 2024." in texts  # the opening date goes after the object
    assert "Quillworks uses the money to hire engineers." in texts  # 'It': the subject, not its date
    assert "Vellum Sync is a hosted service." in texts
    assert "Vellum Sync mirrors journals for customers." in texts
    asked = {a.question for t in texts for a in questions_for(t, "Quillworks")}
    assert not any(q.startswith(("What kind of uses", "What kind of mirrors")) for q in asked), asked


def test_a_person_is_asked_who_and_a_product_or_firm_what():
    asked = _asked("Marja Lehtonen founded Skerry Ventures in 2019.")
    assert asked["Who founded Skerry Ventures in 2019?"] == "Marja Lehtonen"
    product = _asked("Vellum Cloud runs Vellum clusters for customers.")
    assert product["What runs Vellum clusters for customers?"] == "Vellum Cloud"  # no first name: no person


def test_release_note_sentences_of_ports_minimum_versions_and_benchmarks_read_as_asked():
    body = (
        "Vellum 4.0.0 was released on 4 May 2026. It is the first major release since 3.0 and the work of 90 "
        "contributors. On the project's benchmark suite it ingests 2.4 times as many events per second as Vellum 3.9. "
        "The client now requires Python 3.11 or newer. The server still listens on port 7461 by default."
    )
    texts = _texts("Vellum 4.0.0", body)
    assert "Vellum 4.0.0 is the first major release since 3.0." in texts
    assert "Vellum 4.0.0 is the work of 90 contributors." in texts
    asked = _asked_each(texts, "Vellum 4.0.0")
    assert asked["How many contributors is Vellum 4.0.0 the work of?"] == "90"
    assert asked["Which version is Vellum 4.0.0 the first major release since?"] == "3.0"
    assert asked["Which Python version does the client now require?"] == "Python 3.11"
    assert asked["Which port does the server still listen on by default?"] == "7461"
    benchmark = "Which Vellum version does Vellum 4.0.0 ingest 2.4 times as many events per second as"
    assert asked[f"{benchmark} on the project's benchmark suite?"] == "Vellum 3.9"
    assert "second" not in asked.values()  # 'per second' is no rank


def test_two_verbs_of_one_subject_are_two_statements_and_linking_adverbs_go():
    body = (
        "Quillworks released Vellum 3 on 4 May 2026. The company describes it as its fastest editor, and it "
        "became available to Linux users on the same day. A background indexer reads each file and builds a "
        "search table for the sidebar. The sync engine opens each journal and replays it on start. "
        "The sidebar requires a GPU, however, and many laptops lack one."
    )
    texts = _texts("Vellum 3", body)
    assert "A background indexer reads each file." in texts
    assert "A background indexer builds a search table for the sidebar." in texts
    assert any(t.endswith("and Vellum 3 became available to Linux users on the same day.") for t in texts)
    assert "The sync engine opens each journal and replays it on start." in texts  # 'it' needs the first half
    assert "The sidebar requires a GPU, and many laptops lack one." in texts  # no 'however' in its questions
    asked = _asked_each(texts, "Vellum 3")
    assert asked["What builds a search table for the sidebar?"] == "A background indexer"
    assert not any("Quillworks become" in q for q in asked)


def test_a_participle_before_the_verb_describes_the_subject():
    text = "The delegates gathered in the Vellum Hall elected Ada Quill as chair on 4 May 2026."
    asked = {a.question: a.span.text for a in questions_for(text)}
    assert asked["Who did the delegates gathered in the Vellum Hall elect as chair on 4 May 2026?"] == "Ada Quill"
    assert asked["When was Ada Quill elected?"] == "4 May 2026"
    assert not any("gather " in q for q in asked)


def test_the_rest_of_a_list_is_asked_for_by_the_items_it_names():
    asked = _asked("The prelude gains `Future` and `IntoFuture`.")
    assert asked["Besides `Future`, what does the prelude gain?"] == "`IntoFuture`"
    assert asked["Apart from `IntoFuture`, what does the prelude gain?"] == "`Future`"
    three = _asked("The Chemistry prize went to Ann Lee, Bo Park and Cy Tan.")
    assert three["Besides Ann Lee and Bo Park, who did the Chemistry prize go to?"] == "Cy Tan"
    # A place and its country, or a comma inside code, is no list.
    for text in ("WrenFest is coming to Ghent, Belgium.", "PEP 758 allows `except TimeoutError, ConnectionError:`."):
        assert not [a for a in questions_for(text) if a.form == "besides"], text


def test_a_question_never_puts_a_fact_of_another_version_in_the_documents_subject():
    in_context = [
        a.question for a in questions_for("The prelude gains `Future`.", "Rust 1.85.0") if a.form == "context"
    ]
    assert "In Rust 1.85.0, what does the prelude gain?" in in_context
    sibling = questions_for("Rust 1.88.0 stabilized let chains for the Rust 2024 edition.", "Rust 1.85.0")
    assert sibling and not any("1.85.0" in a.question for a in sibling)
    row = next(
        s
        for s in statements(
            "NumPy 2.3.0 release notes", "| Release | Date |\n|---|---|\n| NumPy 2.3.5 | 16 November 2025 |"
        )
        if s.kind == "row"
    )
    asked = {a.question: a.span.text for a in questions_for(row.text, row=True, header=row.header)}
    assert asked["What is the release date of NumPy 2.3.5?"] == "16 November 2025"
    assert asked["Which release has the date 16 November 2025?"] == "NumPy 2.3.5"
    assert not any("2.3.0" in q for q in asked), asked


def test_an_adjective_is_asked_in_other_words_where_the_verb_has_none():
    asked = _asked("Version 22H2 was Windows 10's final feature update.")
    assert asked["Which version was Windows 10's last feature update?"] == "22H2"


def test_the_doer_of_a_passive_clause_is_asked_in_the_active_voice():
    provided = _asked("Live sync support is provided by `SyncSessionMiddleware`.")
    assert provided["Which middleware provides live sync support?"] == "`SyncSessionMiddleware`"
    written = _asked("The new parser was written by Ann Lee and Bo Park.")
    assert written["Who wrote the new parser?"] == "Ann Lee and Bo Park"
    handled = _asked("Reading config files is handled by `tomllib` by default.")
    assert handled["What handles reading config files by default?"] == "`tomllib`"
    active = _asked("Ann Lee wrote the new parser.")
    assert not any(q.startswith("Who wrote") and a != "Ann Lee" for q, a in active.items())


def test_a_version_that_names_a_kind_of_thing_is_asked_as_that_kind():
    asked = _asked("Vellum 3 adds support for OAuth 2.0 authentication.")
    assert asked["What kind of authentication does Vellum 3 add support for?"] == "OAuth 2.0"
    assert not any("OAuth version" in q for q in asked)
    subject = _asked("Vellum 3.1 moves old segments into object storage.")
    assert subject["Which Vellum version moves old segments into object storage?"] == "Vellum 3.1"


def test_no_question_points_at_what_only_another_sentence_names():
    asked = _asked_each(
        [
            "More than 14,100 of them are new compared with Debian 12.",
            'Existing crates can move to it by running `cargo fix --edition` and then setting `edition = "2024"` '
            "in `Cargo.toml`.",
            "This means that the binary wheels now need a system with glibc 2.28 or newer.",
        ]
    )
    assert asked == {}


def test_they_after_the_plural_it_stands_for_stays():
    asked = _asked("The new `Journal.tail()` method streams events as they are written.")
    assert asked["Which new method streams events as they are written?"] == "`Journal.tail()`"


def test_these_in_a_question_reads_as_the():
    asked = _asked("The new `annotationlib` module provides tools for inspecting these deferred annotations.")
    assert asked["Which new module provides tools for inspecting the deferred annotations?"] == "`annotationlib`"
    assert not any("these" in q for q in asked)


def test_a_second_gerund_of_one_by_is_not_read_as_a_second_verb():
    asked = _asked("Teams can upgrade by running `wren migrate` and then setting `tier = 2` in `wren.toml`.")
    assert not any(q.startswith("What does") and "setting" in q for q in asked)
    assert all("teams setting" not in q.lower() for q in asked)


def test_the_probe_of_a_copular_name_puts_the_copula_before_what_it_names():
    from alas_assets.teacher.questions import ask
    from alas_assets.teacher.spans import Span

    text = "The release manager for Python 3.14 is Hugo van Kemenade."
    span = Span("Hugo van Kemenade", "name", text.index("Hugo"), text.index("Hugo") + len("Hugo van Kemenade"))
    assert ask(text, span, "cleft") == "Who is the person who is the release manager for Python 3.14?"


def test_a_news_article_reads_as_the_facts_it_states():
    title = "Brindle Labs becomes the first sponsor of Quayside"
    body = (
        "HOLMFIRTH, 3 March 2026 — Brindle Labs today announced a partnership with the city.\n\n"
        "Founded in 2014 by Ruth Abernathy and Oskar Lindqvist, Brindle Labs employs 135 people in Holmfirth. "
        "Abernathy has been its chief executive since 2021, while Lindqvist leads its engineering team.\n\n"
        "A regular ticket costs £15, and the launch starts at 09:30 on 12 September."
    )
    texts = _texts(title, body)
    assert document_subject(title) == "Brindle Labs"
    assert "Brindle Labs today announced a partnership with the city." in texts  # no dateline
    assert "Brindle Labs was founded in 2014 by Ruth Abernathy and Oskar Lindqvist." in texts
    assert "Brindle Labs employs 135 people in Holmfirth." in texts
    assert "Ruth Abernathy has been its chief executive since 2021." in texts  # the surname as the full name
    assert "Oskar Lindqvist leads its engineering team." in texts
    asked = _asked_each(texts, document_subject(title))
    assert asked["In which year was Brindle Labs founded?"] == "2014"
    assert asked["How many people does Brindle Labs employ in Holmfirth?"] == "135"
    assert asked["How much does a regular ticket cost?"] == "£15"
    assert "09:30" in asked.values() and "12 September" in asked.values()


def test_a_quotation_says_who_spoke_and_who_they_are_and_she_is_the_one_quoted():
    title = "Tarnbeck ferry link opens to passengers"
    body = (
        "The new ferry link to Tarnbeck Quay opened on 4 May 2026.\n\n"
        '"People in Tarnbeck have waited a long time for this crossing," said Maren Castell, chief executive '
        'of Loch Ferries, at the opening. "This boat is theirs now." She cut the ribbon alongside councillor '
        "Idris Vane, who chairs the city's harbour committee.\n\n"
        "Founded in 1961 by the engineer Hanna Ruud, who left her fleet of 1,200 boats to the town, "
        "the Loch Ferries company now runs 14 routes.\n\n"
        '"We were lucky that nothing sank," said Tova Lind, the company\'s safety lead.\n\n'
        "The crossing takes 19 minutes, compared with 41 minutes on the old ferry, which the company will "
        "withdraw on 28 June 2026."
    )
    texts = _texts(title, body)
    assert "Maren Castell said that people in Tarnbeck have waited a long time for this crossing." in texts
    assert "Maren Castell is chief executive of Loch Ferries." in texts
    assert "Maren Castell cut the ribbon alongside councillor Idris Vane." in texts  # not 'Tarnbeck Quay'
    assert "Idris Vane chairs the city's harbour committee." in texts
    assert "Hanna Ruud left her fleet of 1,200 boats to the town." in texts
    assert "The Loch Ferries company was founded in 1961 by the engineer Hanna Ruud." in texts
    assert "Tova Lind is the company's safety lead." in texts
    assert not any("We were lucky" in t or "theirs now" in t for t in texts)  # nothing said of anyone by name
    assert "The company will withdraw the old ferry on 28 June 2026." in texts
    assert "The crossing takes 19 minutes, compared with 41 minutes on the old ferry." in texts
    asked = _asked_each(texts)
    assert asked["Who is chief executive of Loch Ferries?"] == "Maren Castell"
    assert asked["Who chairs the city's harbour committee?"] == "Idris Vane"
    assert not any(q.startswith("What did Maren Castell say") for q in asked)  # 'that people ...' is no object


def test_a_short_question_keeps_the_other_date_it_would_cut_away():
    asked = _asked(
        "The first passengers rode the new ferry on Monday 18 May 2026, nearly five months after the "
        "December 2025 date the company had promised."
    )
    # cut short, the question for the promised date would ask when the passengers rode: 18 May
    assert not any(span == "December 2025" and "18 May" not in q for q, span in asked.items())
    assert any(span == "December 2025" for span in asked.values())
    ticket = _asked("A ticket costs £15, or £7.50 for students.")
    assert ticket["How much does a ticket cost?"] == "£15"  # two amounts of one fact stay askable apart


def test_a_frequency_is_asked_how_often_and_two_frequencies_are_two_facts():
    texts = _texts(
        "Ferry times", "Ferries on the loop run every 8 minutes at peak times and every 12 minutes at night."
    )
    assert texts == [
        "Ferries on the loop run every 8 minutes at peak times.",
        "Ferries on the loop run every 12 minutes at night.",
    ]
    asked = _asked_each(texts)
    assert asked["How often do ferries on the loop run at peak times?"] == "8"
    assert asked["How often do ferries on the loop run at night?"] == "12"
    assert (
        _asked("The harbour expects around 9,500 weekday trips in its first year.")[
            "How many weekday trips does the harbour expect in its first year?"
        ]
        == "9,500"
    )


def test_a_share_of_a_count_a_named_thing_with_which_and_a_command_that_prints():
    body = (
        "The money will pay for the scanning of 4,300 charts over three years. So far only 1,150 of them "
        "have been digitised.\n\n"
        "Salt and Ink, which shows 60 of the charts, opens on 21 March 2026.\n\n"
        "Check your points with `vellumkit check QM-1187.tif`. This prints each point's residual."
    )
    texts = _texts("Quillmoor wins a grant", body)
    assert "1,150 of the charts have been digitised so far." in texts
    assert "Salt and Ink opens on 21 March 2026." in texts
    assert "Salt and Ink shows 60 of the charts." in texts
    assert "`vellumkit check QM-1187.tif` prints each point's residual." in texts
    asked = _asked_each(texts)
    assert asked["How many of the charts have been digitised so far?"] == "1,150"
    assert asked["When does Salt and Ink open?"] == "21 March 2026"
    assert asked["How many of the charts does Salt and Ink show?"] == "60"
    assert not any(q.startswith("Besides Salt") for q in asked)  # one name, not a list


def test_a_settings_page_states_each_setting_and_it_after_an_aside_is_the_subject():
    body = (
        "Its realtime layer, called Tideline, reads live delays from a feed.\n\n"
        "Tideline needs only one key, `feed_url`.\n\n"
        "When the newest update is older than `stale_after`, which defaults to 180 seconds, Tideline drops "
        "all delays. It logs a warning named `RT_STALE` when this happens.\n\n"
        "Tideline was added in routekit 2.9; vehicle positions are ignored. It keeps at most 5,000 trips in memory."
    )
    texts = _texts("Using realtime delays in routekit", body)
    assert "Its realtime layer is called Tideline." in texts
    assert "Tideline reads live delays from a feed." in texts
    assert "Tideline needs the key `feed_url`." in texts
    assert "`stale_after` defaults to 180 seconds." in texts
    assert "Tideline drops all delays when the newest update is older than `stale_after`." in texts
    assert "Tideline logs a warning named `RT_STALE` when this happens." in texts  # not `stale_after`
    assert "Tideline keeps at most 5,000 trips in memory." in texts  # not 'Vehicle'
    asked = _asked_each(texts)
    assert asked["Which key does Tideline need?"] == "`feed_url`"
    assert asked["How many seconds does `stale_after` default to?"] == "180"
    assert asked["In which routekit version was Tideline added?"] == "2.9"  # a lowercase product's release


def test_an_incident_report_reads_as_the_facts_it_states():
    body = (
        "Lines 3, 12 and 15, whose first departures fell inside the missing hour, were the worst affected.\n\n"
        "Our planner had run without a restart since 12 March. routekit 3.2.0 is not affected.\n\n"
        "She restarted the planner at 07:20, which fixed the app, but the departure boards needed a separate "
        "cache flush.\n\n"
        "Passengers who took a taxi because of this can claim back up to £25 until 30 April 2026."
    )
    texts = _texts("Post-incident report", body)
    assert "Lines 3, 12 and 15 were the worst affected." in texts
    assert "Routekit 3.2.0 is not affected." in texts  # a sentence of its own
    assert "The departure boards needed a separate cache flush." in texts
    asked = _asked_each(texts)
    assert asked["What did the departure boards need?"] == "a separate cache flush"
    assert asked["How much can passengers who took a taxi because of this claim back until 30 April 2026?"] == "£25"


def test_it_after_the_headline_is_the_name_and_an_opening_place_goes_last():
    body = (
        "The headline of this release is Slipway, a new transfer search. On the Fennwick network it answers "
        "typical queries 3.5 times faster than the planner in 3.1."
    )
    texts = _texts("routekit 3.2 release notes", body)
    assert "Slipway answers typical queries 3.5 times faster than the planner in 3.1 on the Fennwick network." in texts
    asked = _asked_each(texts)
    assert asked["How many times does Slipway answer typical queries faster than the planner?"] == "3.5"


def test_a_profile_says_who_she_is_and_whose_things_are_hers():
    body = (
        "Ines Varga joined the museum in 2009.\n\n"
        "As head of digitisation at the museum, she runs a team of eleven. Her favourite object is a chart "
        "that took her team three days to capture.\n\n"
        "A new tiling backend, Marlpit, writes tiles 2.7 times faster. The next version, Vellumkit 2.4, is "
        "planned for 8 September 2026 and will add support for atlases."
    )
    texts = _texts("A profile of Ines Varga", body)
    assert "Ines Varga runs a team of eleven." in texts
    assert "Ines Varga is head of digitisation at the museum." in texts
    assert "Ines Varga's favourite object is a chart that took her team three days to capture." in texts
    assert "Marlpit writes tiles 2.7 times faster." in texts
    assert "Marlpit is a new tiling backend." in texts
    assert "Vellumkit 2.4 is planned for 8 September 2026." in texts
    assert "Vellumkit 2.4 will add support for atlases." in texts


def test_whose_asks_for_an_owner_and_its_after_a_person_is_the_owner_said_before():
    asked = _asked(
        "Marja Lehtonen is Halyard Data's chief executive, and Tobias Reinholt is its chief technology officer."
    )
    assert asked["Whose chief executive is Marja Lehtonen?"] == "Halyard Data's"
    assert asked["Who is Halyard Data's chief technology officer?"] == "Tobias Reinholt"
    assert not any("Lehtonen's" in q for q in asked)


def test_a_how_to_page_asks_for_the_command_a_code_block_gives():
    title = "Using realtime delays in routekit"
    body = (
        "## Checking a feed\n\n"
        "To check that a feed is well formed before you go live, run:\n\n"
        "    routekit feeds check --config routekit.toml\n\n"
        "This command prints the number of trips in the feed.\n\n"
        "```\nroutekit serve\n```\n"
    )
    texts = _texts(title, body)
    assert document_subject(title) == "routekit"
    assert texts == [
        "You run `routekit feeds check --config routekit.toml` to check that a feed is well formed before you go live.",
        "`routekit feeds check --config routekit.toml` prints the number of trips in the feed.",
    ]
    asked = _asked_each(texts, "routekit")
    command = "`routekit feeds check --config routekit.toml`"
    assert asked["What do you run to check that a feed is well formed before you go live?"] == command
    assert asked["What prints the number of trips in the feed?"] == command


def test_an_faq_answer_a_date_range_and_two_prices_of_one_thing():
    texts = _texts(
        "Hack Weekend 2026 - FAQ",
        "**When is it?**\nThe hack weekend runs from Saturday 12 September to Sunday 13 September 2026.\n\n"
        "**Do I need a team?**\nNo. Teams of up to five people form on Saturday morning.\n\n"
        "**Are there prizes?**\nYes. The jury, chaired by Saskia Mbatha-Rowe, awards £2,000 for the best project "
        "and £800 for the best student project. A ticket costs £15, or £7.50 for students.",
    )
    assert "Teams of up to five people form on Saturday morning." in texts
    assert "The jury was chaired by Saskia Mbatha-Rowe." in texts
    asked = _asked_each(texts)
    assert asked["From when does the hack weekend run to Sunday 13 September 2026?"] == "Saturday 12 September"
    assert asked["Until when does the hack weekend run from Saturday 12 September?"] == "Sunday 13 September 2026"
    assert asked["How much does the jury award for the best student project?"] == "£800"
    assert asked["How much does the jury award for the best project?"] == "£2,000"
    assert asked["How much does a ticket cost for students?"] == "£7.50"
    assert asked["How much does a ticket cost?"] == "£15"


def test_an_incident_report_names_who_did_what_and_counts_an_approximate_number():
    texts = _texts(
        "Post-incident report - wrong departure times on 29 March 2026",
        "About 31,000 journey plans were served with wrong times in that window. Our planner runs on routekit.\n\n"
        "The on-call engineer, Henrike Osei, was paged at 06:05 after a tram driver reported confused "
        "passengers. She restarted the planner at 07:20.",
    )
    assert "Henrike Osei is the on-call engineer." in texts
    assert "Henrike Osei restarted the planner at 07:20." in texts
    asked = _asked_each(texts)
    assert asked["How many journey plans were served with wrong times in that window?"] == "31,000"
    assert asked["When was Henrike Osei paged?"] == "06:05"
    assert asked["Who restarted the planner at 07:20?"] == "Henrike Osei"
    assert not any("About" in q or " Our " in q for q in asked)


def test_a_settings_page_asks_what_each_setting_defaults_to():
    texts = _texts(
        "Georeferencing a scanned sheet",
        "Vellumkit refuses to warp a sheet that has fewer points than the number set by `min_control_points`. "
        "It defaults to 10.\n\n"
        "`max_residual_px` is the largest error that any point may have. If it is left out, it defaults to 3.0. "
        "`tile_size` defaults to 256 pixels.\n\n"
        "First check your points:\n\n```\nvellumkit check sheet.tif\n```\n",
    )
    assert "`min_control_points` defaults to 10." in texts
    assert "`max_residual_px` defaults to 3.0 if it is left out." in texts
    assert "You check your points with `vellumkit check sheet.tif`." in texts
    asked = _asked_each(texts)
    assert asked["What does `min_control_points` default to?"] == "10"
    assert asked["What does `max_residual_px` default to if it is left out?"] == "3.0"
    assert asked["How many pixels does `tile_size` default to?"] == "256"
    assert asked["What defaults to 256 pixels?"] == "`tile_size`"
