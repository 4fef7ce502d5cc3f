"""Mentions: each place a note names a person with a title (林主任, 副主任医师 梅振华,
沈卫东（副主任医师）, 评价医师：陆海峰 职称：副主任医师, Director Feng of the IT department)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from spacy.tokens import Doc

from jinnang.nlp.components import doc_text
from jinnang.nlp.crf_features import word_lexicon
from jinnang.nlp.gazetteers import Title
from jinnang.nlp.people.brackets import bracketed_name, field_value_name
from jinnang.nlp.people.doc_facts import departments, hospitals, words_at
from jinnang.nlp.people.english import english_mentions
from jinnang.nlp.people.mention import PersonMention, dept_before
from jinnang.nlp.people.reading import FIELD_END, SurnameRules
from jinnang.nlp.people.transliterated import names_by_sound
from jinnang.nlp.people.vocabulary import (
    ADDRESS_TAILS,
    AFTER_SURNAME_BLOCKERS,
    BEFORE_NAME,
    CJK,
    COMMON_WORD_TAGS,
    NAME_STOP,
    NOT_NAME_PLACES,
    english_rules,
)

# LAC tags of a word that begins no listed name: function words (都熟), and for a longer word also times,
# places and companies. Verbs and adjectives are left out: LAC reads rare names so (揭国平 v, 暴立 v), and
# everyday words are the dictionary's to refuse
FUNCTION_WORD_TAGS = frozenset({"d", "p", "c", "u", "r", "m", "q", "f"})
LISTED_NOT_NAME_TAGS = FUNCTION_WORD_TAGS | {"t", "TIME", "w", "xc"} | NOT_NAME_PLACES


def mentions(doc: Doc) -> list[PersonMention]:
    """Every titled mention of the note, Chinese then English."""
    chinese = _Reader(doc).mentions()
    # names by sound (古丽娜尔主任) where the surname rules read nobody, or a part (扎西 of 扎西才让)
    by_sound = names_by_sound(doc, {m.title_start: m.name for m in chinese})
    if by_sound:
        depts = departments(doc)
        replaced = {ts for *_, ts in by_sound}
        chinese = [m for m in chinese if m.title_start not in replaced] + [
            PersonMention(name, start, end, title, dept_before(doc_text(doc), start, depts), ts)
            for name, start, end, title, ts in by_sound]
    english = english_mentions(doc_text(doc))
    # an English name read whole (Lin Hui) is not also read in part by the Chinese rules
    chinese = [m for m in chinese if not any(e.start <= m.start < e.end for e in english)]
    return chinese + english


class _Reader(SurnameRules):
    """The Chinese rules over one note."""

    def mentions(self) -> list[PersonMention]:
        text, vocab, names, depts = self.text, self.vocab, self.names, self.depts
        out: list[PersonMention] = []
        in_dept = [False] * (len(text) + 1)
        for s0, e0 in depts:  # not where a title holds a department's word: 吴采购员 (采购)
            if not ((t := vocab.title_rx.match(text, s0)) and t.end() > e0):
                in_dept[s0:e0] = [True] * (e0 - s0)
        for m in self._title_matches(in_dept):
            title = vocab.titles[m.group()]
            ts, te = m.start(), m.end()
            if title.after_surname_only and ((te < len(text) and text[te] in AFTER_SURNAME_BLOCKERS)
                                             or word_lexicon()[0].get(text[ts - 1:te]) in ("v", "vn", "vd")):
                continue  # 王工作, 施工, 完工: words, no 工程师 (石工 the stonemason is rarer than 石工程师)
            if found_b := bracketed_name(text, ts, te, vocab):  # 符主任（符海燕）, 康复科主任（崔光日）
                out.append(PersonMention(found_b[0], found_b[1], te, title, dept_before(text, found_b[2], depts), ts))
                continue
            # surname + title: 林主任, 戴工, 章文斌主任
            s = self._surname_before(ts)
            if s is None:  # 刘敏科长: a name the taggers saw, whose last character is no surname
                s = next(self._seen_name_ending_at(ts, in_dept), None)
            if s is not None and self._conjunction_before_title(s, ts, te):
                s = None  # 孙主任和副主任医师何宇: 和 joins two people, 何宇 is the 副主任医师
            if s is not None:
                seen = list(self._seen_name_ending_at(ts, in_dept))
                start = seen[-1] if seen else s  # the last name the taggers saw there
                whole = None if seen or ts - start > 2 else self._whole_name_before(ts, in_dept, 4)
                if whole is not None and ts - whole >= 3:
                    start = whole  # 见了令狐晓燕主任, 设备科阎守成科长: not 燕 or 成 alone
                # 'Vivian 宋' written before an English title or a surname
                lat = re.search(r"([A-Z][a-z]+\s?)$", text[:start])
                if lat and not CJK.match(text[start - 1:start] or "x") \
                        and lat.group(1).strip() not in english_rules().not_given_names:
                    start = lat.start()
                name = text[start:ts]
                if len(name) == 2 and name[0] == name[1] and text[start - 1:start] == "姓":
                    start, name = start + 1, name[1]  # 院长姓马马院长说
                # 分管副院长是骆院长 / 运营副院长邵院长: the fuller title written just before wins
                before = re.search(rf"({vocab.title_rx.pattern})是?$", text[max(0, start - 8):start])
                if before:
                    prior = vocab.titles[before.group(1)]
                    if prior.kind == title.kind and title.bare in prior.bare and prior.bare != title.bare:
                        title = prior
                # 失能区护士长 卞小红: a full name set off after the title outweighs a lone surname before it
                if len(name) == 1 and not title.after_surname_only and text[te:te + 1] in (" ", "\u3000") \
                        and (found := self._name_after_title(ts, te, title)) and re.match(FIELD_END, text[found.end:]):
                    out.append(found)
                    continue
                if self._plausible_surname_start(start):
                    out.append(PersonMention(name, start, te, title, dept_before(text, start, depts), ts))
                    continue
            # 设备科马永康科长, "- 钱建华主任": a full name the segmenter split wrongly (科马永康 as a place),
            # read from where it must begin: after a department, a separator or the start of a line
            whole = self._whole_name_before(ts, in_dept, 4)  # 4: a compound surname and two more (欧阳淑仪主任)
            if whole is not None:
                out.append(PersonMention(text[whole:ts], whole, te, title, dept_before(text, whole, depts), ts))
                continue
            if title.after_surname_only:
                continue
            # a signature or form row: 科室负责人: 刘国华 主任 / 设备科：林志　科长; a title ending its line or its field
            # (填表：成丽 副主任医师　　审核：…) belongs to the name before it, and so does a spreadsheet's title cell
            space = g.group() if (g := re.search(r"[ \u3000\t]+$", text[max(0, ts - 8):ts])) else ""
            owner = self._field_value_ending_at(ts - len(space)) if space else None
            # …and a CRM contact line's post after a slash (联系人: 伍家豪 / 急诊科主任) or a cell's (\t于海波\t设备科科长\t)
            dept_start = next((s0 for s0, e0 in depts if e0 == ts), ts)
            if not owner and (cell := self._row_cell_owner(dept_start)):
                space, owner = "\t", cell
            slash = re.search(r"[ \u3000\t]*[/／][ \u3000\t]*$", text[max(0, dept_start - 8):dept_start])
            if not owner and slash:
                owner = self._field_value_ending_at(dept_start - len(slash.group()))
            # (a bracket may follow the title: 窦建华 主管技师（微生物室）)
            if owner and (re.match(r"(?:[（(][^（()）\n]{1,10}[)）])?(?:[ \u3000\t]*(?:\n|$)|(?:[ \t]{2,}|\u3000+)[^\s:：]{1,6}[:：])",
                                   text[te:])
                          or (space == "\t" and re.match(r"[ \u3000]*[\t|｜]", text[te:]))):
                department = dept_before(text, owner[1], depts) or (text[dept_start:ts] if dept_start < ts else None)
                out.append(PersonMention(owner[0], owner[1], te, title, department, ts))
                continue
            found = self._name_after_title(ts, te, title)
            if found:
                out.append(found)
                continue
            # name（title）: 沈卫东（副主任医师）, 王莉（骨科护士长）, 韩医生（主治，…）, 叶秋菊（光山县人民医院 妇产科主任）
            paren = re.search(r"([（(])([^（()）]{0,8}|[^（()），,。；;：:]{9,20})$", text[:ts])
            if paren:
                ps = paren.start()
                while ps > 0 and text[ps - 1] in " \u3000\t":  # OCR'd forms: 方志远 （主治医师）
                    ps -= 1
                if owner := self._name_ending_at(ps) or self._field_value_ending_at(ps):
                    department = dept_before(text, owner[1], depts) or dept_before(text, ts, depts)
                    out.append(PersonMention(owner[0], owner[1], te, title, department, ts))
                    continue
            if owner:
                out.append(PersonMention(owner[0], owner[1], te, title, dept_before(text, owner[1], depts), ts))
                continue
            # X医生是主治 / 严老师是设备科工程师
            be = re.search(r"是(?:[\u4e00-\u9fff]{2,6}?)?$", text[:ts])
            if be:
                owner = self._name_ending_at(be.start())
                if owner:
                    nm, ns = owner
                    department = dept_before(text, ts, depts, 0) or dept_before(text, ns, depts)
                    out.append(PersonMention(nm, ns, te, title, department, ts))
                    continue
            # form fields: 评价医师：陆海峰　　职称：副主任医师 / 联系人: 谭晓 | 职务: 主任
            field_m = re.search(r"(?:职称|职务)[:：]\s*$", text[:ts])
            if field_m:
                line_start = text.rfind("\n", 0, ts) + 1
                cands = [(s2, e2) for s2, e2 in names.items() if line_start <= s2 and e2 <= field_m.start()]
                if cands:
                    s2, e2 = max(cands)
                    if s2 > line_start and vocab.starts_surname(text, s2 - 1) \
                            and re.search(r"[:：]\s*$", text[line_start:s2 - 1]):
                        s2 -= 1  # 联系人: 向德辉: LAC reads 向 as a preposition
                    line_end = text.find("\n", te) if "\n" in text[te:] else len(text)
                    dept_m = re.search(r"(?:科室|部门)[:：]\s*([^\s|｜,，;；]+)", text[te:line_end])
                    out.append(PersonMention(text[s2:e2], s2, te, title, dept_m.group(1) if dept_m else None, ts))
                elif line_start > 0 and (owner := self._field_value_ending_at(len(text[:line_start - 1].rstrip()))) \
                        and re.search(r"[:：][ \u3000\t]*$", text[text.rfind("\n", 0, owner[1]) + 1:owner[1]]):
                    # a CRM export, a field a line: 联系人: 车向东 / 职务: 部长
                    out.append(PersonMention(owner[0], owner[1], te, title, dept_before(text, owner[1], depts), ts))
        return out

    def _name_after_title(self, ts: int, te: int, title: Title) -> PersonMention | None:
        """title + name: 副主任医师 梅振华, 科主任签字：顾明, Director Vivian 宋, 护士长：邢燕,
        | 护士长 | 邢燕 | (a table row), 科主任意见：同意。　郑国栋, 主治陈医生."""
        text = self.text
        after = re.match(r"(?:\s|\u3000)*(?:签字|签名|审核)?[:：|]?(?:\s|\u3000)*", text[te:])
        assert after is not None  # every part of the pattern is optional
        p = te + after.end()
        name = self._full_name_at(p)
        if not name and re.search(r"[:：]", after.group()):
            name = field_value_name(text, p)  # 科室主任：俸丽华
        field = bool(re.search(r"[:：|]", after.group())) or bool(name and self._listed(p, name, after.group()))
        if name and not self._looks_like_name(p, name, field):
            name = None
        if name and "\n" in after.group() and not re.match(FIELD_END, text[p + len(name):]):
            name = None  # 科长\n付款:验收…: the next line's label, no name
        lat = re.match(r"([A-Z][a-z]+)\s?([\u4e00-\u9fff])", text[p:])
        if lat and lat.group(2) in self.vocab.surnames:
            name = lat.group(0)
        if not name:  # 科主任意见：同意。　郑国栋 (a signature after the field's text)
            sig = re.match(r"意见[:：][^\n:：]{0,8}?(?:[。.，,][ \u3000\t]*|[\s\u3000]+)", text[te:])
            if sig:  # …and the signature ends its line, or a date or the next field follows
                p = te + sig.end()
                name = self._full_name_at(p)
                if name and not re.match(r"[\s\u3000]*(?:\n|$)|[ \u3000\t]+(?:[0-9]|[^\s:：]{1,6}[:：])",
                                         text[p + len(name):]):
                    name = None
        if not name:  # 主治陈医生: a title, then a surname with a form of address
            addressed = re.match(r"(欧阳|司马|上官|诸葛|南宫|[\u4e00-\u9fff])(医生|大夫|老师)", text[p:])
            if addressed and (addressed.group(1) in self.vocab.surnames
                              or addressed.group(1) in self.vocab.compound_surnames):
                name = addressed.group(1)
        if not name:
            return None
        return PersonMention(name, p, p + len(name), title, dept_before(text, ts, self.depts), ts)

    def _title_matches(self, in_dept: list[bool]) -> Iterator[re.Match[str]]:
        """Title matches, never starting inside a department (骨科主任医师 → 主任医师, not 科主任)."""
        text, pos = self.text, 0
        while pos < len(text):
            m = self.vocab.title_rx.search(text, pos)
            if not m:
                return
            if in_dept[m.start()]:
                pos = m.start() + 1
                continue
            yield m
            pos = m.end()

    def _listed(self, start: int, name: str, gap: str) -> bool:
        """A list entry's name (医务处处长 鲜于红；设备科科长 盖立新；护士长简红，): on the title's line, ending
        at a separator, beginning with no everyday or function word (护士习惯了。护士都熟，院长松口了。)."""
        word = words_at(self.doc).get(start)
        if "\n" in gap or not re.match(FIELD_END, self.text[start + len(name):]) or self._begins_with_word(name):
            return False
        # LAC splits rare names into single characters (盖/立/新 as verbs): only function words count there
        banned = LISTED_NOT_NAME_TAGS if word and len(word[0]) > 1 else FUNCTION_WORD_TAGS
        return name[-1] not in ADDRESS_TAILS and name[-1] not in "了着过" and not (word and word[1] in banned)

    def _begins_with_word(self, name: str) -> bool:  # 习惯了: an everyday word, no surname and given name
        return not self._compound_surname(name) and word_lexicon()[0].get(name[:2]) in COMMON_WORD_TAGS

    def _full_name_at(self, start: int) -> str | None:
        """A person's name starting at `start` (surname first), or None."""
        text, vocab = self.text, self.vocab
        if start >= len(text):
            return None
        first = next((c for c in vocab.compound_surnames if text.startswith(c, start)), text[start])
        if first not in vocab.surnames and first not in vocab.compound_surnames:
            return None
        end = self.names.get(start)
        if end and 2 <= end - start <= 4:
            name = text[start:end]
        else:
            end = start + len(first)  # a given name of up to two characters: 夹谷秀梅
            while end < len(text) and end - start < len(first) + 2 and CJK.match(text[end]) and text[end] not in NAME_STOP:
                end += 1
            name = text[start:end]
        # 王主任 is a surname and a title, not a name; nor is 佘副院 of 佘副院长
        cut = next((i for i in range(1, len(name)) if vocab.title_rx.match(text, start + i)), len(name))
        name = name[:cut]
        return name if len(name) >= 2 else None

    def _whole_name_before(self, ts: int, in_dept: list[bool], longest: int = 3) -> int | None:
        """Start of a name of `longest` down to 2 characters (surname first, compound too) ending at
        the title at `ts`, from a boundary (a department's or hospital's end, no Chinese, the text's
        start, a word after 见/了/和 …). Never a dictionary word (常务副院长), a company or place
        (卫宁工程师), a department (和科室主任) or a conjunction's 和."""
        text, words = self.text, words_at(self.doc)
        ends = {e for _, e in self.depts} | {e for _, e in hospitals(self.doc)}
        for length in range(longest, 1, -1):
            p = ts - length
            compound = text[p:p + 2] in self.vocab.compound_surnames and length >= 3
            if p < 0 or not (text[p] in self.vocab.surnames or compound) or any(in_dept[i] for i in range(p, ts)):
                continue
            if length == 4 and not compound:
                continue
            if not all(CJK.match(c) and c not in NAME_STOP for c in text[p + 1:ts]) or text[ts - 1] in "科室部处组院":
                continue
            after_word = text[p - 1:p] in BEFORE_NAME and p in words
            if not (p == 0 or not CJK.match(text[p - 1]) or p in ends or after_word):
                continue
            word, tag = words.get(p, ("", ""))
            if (word == text[p] and tag in ("c", "p")) or (word == text[p:ts] and tag in NOT_NAME_PLACES):
                continue
            lexicon = word_lexicon()[0]
            if lexicon.get(text[p:ts]) in COMMON_WORD_TAGS or (p not in self.names and _other_word(lexicon, text[p:ts])):
                continue
            # 那个吴主任, 谢谢蓝主任, 高峰侯技师, 后要给主任: LAC reads a word ending inside it, or a function word
            if length >= 3 and tag != "PER" and (1 < len(word) < length or tag in ("f", "d", "p", "c", "r", "u")):
                continue
            return p
        return None

    def _conjunction_before_title(self, s: int, ts: int, te: int) -> bool:
        """和/与/及/跟/同 before a title are also surnames: read as a conjunction (LAC c/p) when a
        name follows the title or a pronoun goes before (他和住院医门晓婷)."""
        if ts - s != 1:
            return False
        word = words_at(self.doc).get(s)
        if not word or word[0] != self.text[s] or word[1] not in ("c", "p"):
            return False
        after = re.match(r"[\s\u3000:：]*", self.text[te:])
        assert after is not None  # matches the empty string at least
        p = te + after.end()
        name = self._full_name_at(p)
        return self.text[s - 1:s] in "他她我你它们）)" or (bool(name) and self._looks_like_name(p, name or ""))

def _other_word(lexicon: dict[str, str], word: str) -> bool:  # a dictionary word, no name (党委; not 令狐)
    return not lexicon.get(word, "nr").startswith("nr")
