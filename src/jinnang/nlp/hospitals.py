"""Hospitals in free text by the gazetteers' suffixes and brands, and the gazetteers' regexes.

Without spaCy: search masks hospitals in the hits it shows (`coaching/search.py`), and a web process
that runs no extraction must not load spaCy (and, where it is installed, torch through thinc) for it.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from jinnang.nlp.gazetteers import gazetteers

# --- gazetteer regexes (built once from the YAML) -----------------------------------------

def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@lru_cache(maxsize=1)
def gazetteer_regexes() -> dict[str, re.Pattern]:
    g = gazetteers()
    dep = g["departments"]
    prefixes = _alt(dep.clinical_prefixes)
    cores = _alt(dep.clinical_cores)
    families = "".join(f"|(?:{_alt(f.prefixes)})(?:{_alt(f.cores)})" for f in dep.families)
    # the longest reading wins: 消化内镜中心 over 消化+科 pieces, 心脏超声室 over 超声科
    department = rf"(?:(?:{prefixes})+(?:{cores}){families}|{_alt(dep.units)})"
    titles = [t for t in g["titles"].titles if not t.after_surname_only and t.kind != "address"]
    org = g["organizations"]
    suffixes = "|".join(
        re.escape(w) + (f"(?!{_alt(org.suffix_blockers[w])})" if org.suffix_blockers.get(w) else "")
        for w in sorted(set(org.hospital_suffixes), key=len, reverse=True))
    chain = org.chains
    branch = (rf"(?:[\u4e00-\u9fff]{{0,{chain.max_branch_chars}}}?(?:{_alt(chain.branch_suffixes)}))?"
              if chain.branch_suffixes else "")
    return {
        "department": re.compile(department),
        "position": re.compile(_alt(t.written for t in titles)),
        "hospital_suffix": re.compile(
            rf"(?:{suffixes})(?:{_alt(org.campus_words) or '(?!)'})?(?:{_alt(org.trailing_words) or '(?!)'})?"),
        "chain": re.compile(rf"(?:{_alt(chain.brands)}){branch}" if chain.brands else "(?!)"),
        "leading_stop": re.compile(_alt(org.leading_stops)),
        "hospital_char": re.compile(r"[\u4e00-\u9fffA-Za-z0-9]"),
    }


# LAC tags that never belong to a hospital's name: verbs, adverbs, prepositions, conjunctions,
# particles, pronouns, people and times (走医院 / 接下来走医院 is no hospital)
NOT_NAME_TAGS = frozenset({"v", "vd", "d", "p", "c", "u", "r", "xc", "w", "PER", "TIME", "q"})


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    """Province, city and county names and their short forms, from the admin-area list jionlp
    ships (read directly: importing jionlp prints a banner on stdout)."""
    import importlib.util
    import zipfile

    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    folder = Path(list(spec.submodule_search_locations)[0]) / "dictionary"
    if (folder / "china_location.txt").is_file():
        text = (folder / "china_location.txt").read_text(encoding="utf-8")
    elif (folder / "china_location.zip").is_file():
        with zipfile.ZipFile(folder / "china_location.zip") as archive:
            text = archive.read("china_location.txt").decode("utf-8")
    else:
        return frozenset()
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("\t\t\t"):
            continue  # towns and villages
        parts = line.strip().split("\t")
        if len(parts) == 3:
            names.update((parts[0], parts[2]))
    return frozenset(n for n in names if len(n) >= 2)


def _starts_with_place(text: str) -> bool:
    places = _place_names()
    return any(text[:n] in places for n in (2, 3, 4))


def find_hospitals(text: str, lac_org: list[tuple[int, int]] | None = None,
                   words: list[tuple[str, str]] | None = None) -> list[tuple[int, int]]:
    """Char spans of hospitals: a name run ending in a hospital suffix (扬州一院, 杭州市中医院),
    and private groups written by brand (美年大健康西安高新分院).

    The start is the LAC ORG word's start when LAC saw one there, else the run of name
    characters after the last leading stop word (去, 在, 和 …) and, given LAC's `words`, after
    the last word that cannot be part of a name (a verb, an adverb, a person).
    """
    rx = gazetteer_regexes()
    org = gazetteers()["organizations"]
    trailing = tuple(org.trailing_words)
    cut_before: list[int] = []  # where a not-name word ends
    place_before: dict[int, int] = {}  # end → start of a place word (江宁区 before 秣陵街道…中心)
    if words:
        pos = 0
        for word, tag in words:
            if tag in ("LOC", "ns"):
                place_before[pos + len(word)] = pos
            pos += len(word)
            if tag in NOT_NAME_TAGS:
                cut_before.append(pos)
    found: list[tuple[int, int, int]] = []  # (start, end, suffix start)
    matches = [(m, False) for m in rx["hospital_suffix"].finditer(text)]
    matches += [(m, True) for m in rx["chain"].finditer(text)]
    for m, is_chain in sorted(matches, key=lambda x: (x[0].start(), -x[0].end())):
        end = m.end()
        core_end = end
        for word in trailing:
            if text[m.start():end].endswith(word):
                core_end = end - len(word)
        limit = org.chains.max_city_chars if is_chain else org.max_name_chars
        start = m.start()
        while start > 0 and rx["hospital_char"].match(text[start - 1]) and m.start() - start < limit:
            start -= 1
        for s, e in lac_org or ():
            if s <= m.start() < e and s >= start and not is_chain:
                start = s
                while start in place_before and place_before[start] >= m.start() - limit:
                    start = place_before[start]
                break
        else:
            stops = list(rx["leading_stop"].finditer(text, start, m.start()))
            if stops:
                start = stops[-1].end()
            cuts = [c for c in cut_before if start < c <= m.start()]
            if cuts:
                start = cuts[-1]
        if is_chain and start < m.start() and not _starts_with_place(text[start:m.start()]):
            continue  # only a city is written before a brand (北京瑞尔齿科); 完美年度 is no 美年
        # 今儿上大连医科大学附属二院: a spoken verb glued before a place name
        if text[start:start + 1] in org.verb_prefixes and _starts_with_place(text[start + 1:m.start()]) \
                and not _starts_with_place(text[start:m.start()]):
            start += 1
        name_len = m.start() - start
        if not is_chain:
            if name_len < org.min_name_chars and len(m.group()) <= 3 and not (
                    name_len == 1 and text[start] in org.short_names):
                continue  # a bare 一院 / 医院 is no name
            if start == m.start() and m.group() == "医院":
                continue
        found.append((start, core_end, m.start()))
    # overlapping readings: the earliest start wins, then the longest
    out: list[tuple[int, int]] = []
    for start, end, _ in sorted(found, key=lambda f: (f[0], -f[1])):
        if out and start < out[-1][1]:
            continue
        out.append((start, end))
    return out
