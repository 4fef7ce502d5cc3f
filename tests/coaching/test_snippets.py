"""Hits highlight whole words of the query: never a lone 科, 办 or 院, never `his` inside `this`."""
from __future__ import annotations

import re

from jinnang.coaching.snippets import highlight_terms, make_snippet, mark
from jinnang.coaching.text import expand_query, normalise

NOTE = "金华市人民医院设备科郑科长说注册证、授权书要齐全，医保办钱主任还没表态，this one is on HIS."


def marked(query: str, text: str = NOTE) -> list[str]:
    terms = highlight_terms(expand_query(normalise(query)))
    snippet, spans = make_snippet(text, terms, {}, 200)
    return re.findall(r"<mark>(.*?)</mark>", mark(snippet, spans))


def test_query_words_are_highlighted_whole_and_single_characters_are_not():
    assert marked("设备科要注册证") == ["设备科", "注册证"]
    assert "科" not in highlight_terms("设备科要注册证") and "证" not in highlight_terms("设备科要注册证")
    assert marked("医院办公室") == ["医院"] or all(len(m) >= 2 for m in marked("医院办公室"))
    assert marked("办院") == []


def test_a_one_character_query_still_highlights_itself():
    assert highlight_terms("科") == ["科"]


def test_question_words_are_not_highlighted():
    assert highlight_terms("竞品已经进院了怎么应对") == ["应对", "竞品"]


def test_latin_words_match_only_whole():
    assert marked("HIS 接口") == ["HIS"]  # not the `his` of `this`


def test_a_text_seen_before_a_lexicon_edit_is_marked_by_the_edited_lexicon(tmp_path, monkeypatch):
    """Snippets keep each text's concept terms per lexicon version: an edit is never hidden by them."""
    from jinnang.coaching import config
    from jinnang.coaching.config import ConceptLexicon
    from jinnang.core.config import FILES, ConfigFile

    path = tmp_path / "concepts.yaml"
    head = "concepts:\n  - id: price\n    kind: objection\n    objection: price\n    terms: "
    path.write_text(head + "[太贵]\n", encoding="utf-8")
    lexicon_file = ConfigFile(path, ConceptLexicon)
    monkeypatch.setattr(config, "CONCEPTS", lexicon_file)
    try:
        text = "主任说价格高，太贵了"
        assert make_snippet(text, [], {"price": 1.0}, 200)[1] == [(7, 9)]
        assert make_snippet(text, [], {"price": 1.0}, 200)[1] == [(7, 9)]  # kept: the same answer
        path.write_text(head + "[太贵, 价格高]\n", encoding="utf-8")
        assert make_snippet(text, [], {"price": 1.0}, 200)[1] == [(3, 6), (7, 9)]
        assert make_snippet(text, [], {"other": 1.0}, 200)[1] == []  # concepts the query did not name
    finally:
        FILES.remove(lexicon_file)
