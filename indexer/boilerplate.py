"""Keep an article's own paragraphs and drop site furniture around them.

Three signals that generalise across sites: the article is the densest run of long,
sentence-like lines; footers follow known patterns (copyright, phone, registration,
reporter e-mail, "send us tips"); and a line repeated across many documents of one
source is boilerplate (``repeated_lines``, fed a sample of the source by the builder).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable

_MIN_SENTENCE_CHARS = 10
_GAP_COST = 25
_TAIL_LINES = 3
_MAX_INLINE_FOOTER = 400
_MAX_FOOTER_LINE = 200
_MAX_TAIL_FURNITURE = 40
_MAX_REPEATED_LINE = 300

_SENTENCE_END = re.compile(r"(?:[.!?。！？…]|다|요)[\"'”’」』)\]]*(?:\s*[(（]完[)）])?$")
_TERMINATOR = re.compile(r"[.!?。！？](?=\s|$)|다\.")
_LABELLED_PHONE = re.compile(
    r"(?:전화|tel|fax|팩스|☎|대표번호|연락처|电话|電話|传真|傳真)\s*[:.：]?\s*\(?\+?\d{2,4}\)?[-.\s]?\d{3,4}[-.\s]\d{4}",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^(?:[-–•·○●◇◆△▲▶■□※*]|\d+[.)]|[①-⑳])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_FOOTER_LINE = re.compile(
    r"^(?:ⓒ|©|\(c\)|copyright\b)"
    r"|all rights reserved|무단\s*(?:전재|복제|배포)|재배포\s*금지"
    r"|版權所有|版权所有|不得转载|不得轉載"
    r"|사업자\s*(?:등록)?\s*번호|등록\s*번호|청소년\s*보호\s*책임자|발행\s*[·ㆍ]?\s*편집인"
    r"|^(?:대표\s*)?(?:전화|tel|fax|팩스)\b"
    r"|^\d{5}\s+\S+[시도]\s"
    r"|^(?:责编|網編|网编|编辑|編輯|责任编辑|責任編輯)\s*[:：]"
    r"|기자\s*구독|구독하기|^\(?(?:사진|그래픽|영상)\s*=\s*[^)]*\)?$"
    # A line that is only a feed's timestamp: 2021-01-08T08:29:34Z, Sun, 10 Jan 2021 … GMT
    r"|^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
    r"|^(?:mon|tue|wed|thu|fri|sat|sun), \d{1,2} [a-z]{3} \d{4} \d{2}:\d{2}(?::\d{2})?"
    r" (?:gmt|utc|[+-]\d{4})$"
    # A blog's post meta line: categories, posted and updated dates, reading time
    r"|(?:\d{4}年\d{1,2}月\d{1,2}日\s+){1,2}\d+\s+minutes?$"
    # A feed's "20/01/2021 - 20:31" line; Drupal's "NAME 在 星期日, 02/11/2018 - 18:20 提交"
    r"|^\d{1,2}/\d{1,2}/\d{4} - \d{1,2}:\d{2}$"
    r"|在 ?星期[一二三四五六日天], ?\d{1,2}/\d{1,2}/\d{4} - \d{1,2}:\d{2} 提交$"
    # Embeds, invitations to subscribe, and an image's bare file name left as its caption
    r"|^embed from getty images$"
    r"|^[(（]?(?:欢迎|歡迎)[^，,。）)]{0,8}(?:订阅|訂閱)"
    r"|^[\w.-]{1,120}\.(?:jpe?g|png|gif|webp|bmp)$",
    re.IGNORECASE,
)
# The "......more" a feed puts after an item it cut short (the dots stay, as the cut shows)
_MORE_LINK = re.compile(r"(?:(?<=\.\.\.)|(?<=…))[ \t]*more$", re.IGNORECASE)
_RELATED_HEADER = re.compile(
    r"^[\s#*■▶▷\[【]*(?:延伸閱讀|延伸阅读|相关阅读|相關閱讀|相关新闻|相關新聞|相关文章|相關文章|推荐阅读|推薦閱讀"
    r"|更多阅读|您可能感兴趣的文章|你可能感兴趣的文章|热门文章|related(?: articles| stories)?"
    r"|read more|관련\s*기사|관련\s*뉴스|함께 보면 좋은 기사|많이 본 뉴스)[\s:：»>-]*$",
    re.IGNORECASE,
)
_INLINE_FOOTER = re.compile(
    r"※[^.。]{0,40}제보|당신의 제보가 뉴스|■\s*제보하기|[^.。]{0,30}여러분의 제보(?:를|로)"
    r"|기사문의 및 제보|제보는 카카오톡|\[?copyright\b"
    r"|[ⓒ©][^.。]{0,40}(?:all rights|무단|版权|版權)"
    r"|all rights reserved|무단\s*전재|재배포\s*금지|전문보기\s*:|원문 보기|더보기\s*\(https?://"
    r"|#[^\s#]{1,30}+(?:\s++#[^\s#]{1,30}+)++\s*$"
    r"|[(（]\s*(?:編輯|编辑|責任編輯|责任编辑|記者|记者|編譯|编译|譯者|译者)\s*[:：][^)）]{1,30}[)）]\s*\d{0,8}\s*$"
    r"|\*?\s*재판매\s*및\s*DB\s*금지"
    r"|[가-힣]{2,4}\s*(?:기자|특파원)\s*[(\[<]?[\w.+-]++@(?>[\w-]+(?:\.[\w-]+)+)[)\]>]?.{0,20}$"
    # an e-mail address ending the line, cut from the start of its word
    r"|(?<!\S)\S*[\w.+-]@(?>[\w-]+(?:\.[\w-]+)+)\s*+(?:\(END\))?\s*$",
    re.IGNORECASE,
)
# Possessive and atomic parts above never give back what they matched: a line of letters
# without spaces must not make the e-mail part try every split of it (that was cubic).


def strip_boilerplate(text: str, *, trim_head: bool = True) -> str:
    """The article paragraphs of ``text`` (paragraphs separated by blank lines) without furniture.

    ``trim_head=True`` (scraped pages) keeps only the densest block of prose lines.
    ``trim_head=False`` (feeds, whose text starts with the article) keeps everything up to
    the trailing run of short non-sentence lines, so lists and subtitles are not lost.
    """
    lines, breaks = _lines(text)
    keep = [not _is_footer_line(line) for line in lines]
    _drop_from_related_header(lines, keep)
    for index in [i for i, kept in enumerate(keep) if kept][-_TAIL_LINES:]:
        lines[index] = cut_inline_footer(lines[index])
        keep[index] = bool(lines[index])
    kept_lines = [line if kept else "" for line, kept in zip(lines, keep, strict=True)]
    if trim_head:
        start, end = _article_block(kept_lines)
    else:
        start, end = 0, _end_before_furniture(kept_lines)
    out: list[str] = []
    for index in range(start, end):
        if keep[index]:
            if out and breaks[index]:
                out.append("")
            out.append(lines[index])
    return _MORE_LINK.sub("", "\n".join(out).strip())


def _drop_from_related_header(lines: list[str], keep: list[bool]) -> None:
    """A "related articles" heading in the second half of the text ends the article."""
    for index in range(len(lines) // 2, len(lines)):
        if _RELATED_HEADER.match(lines[index]):
            keep[index:] = [False] * (len(lines) - index)
            return


def _end_before_furniture(lines: list[str]) -> int:
    """End of the text without its trailing short lines that are neither sentences nor list items.

    A text made only of such lines (a one-line item) is kept whole.
    """
    end = len(lines)
    while end and (not lines[end - 1] or _is_tail_furniture(lines[end - 1])):
        end -= 1
    return end or len(lines)


def _is_tail_furniture(line: str) -> bool:
    return (
        len(line) < _MAX_TAIL_FURNITURE
        and not _SENTENCE_END.search(line)
        and not _LIST_ITEM.match(line)
    )


def _lines(text: str) -> tuple[list[str], list[bool]]:
    """Non-empty lines, and whether each one starts a new paragraph."""
    lines: list[str] = []
    breaks: list[bool] = []
    for paragraph in re.split(r"\n\s*\n", text):
        stripped = [line.strip() for line in paragraph.split("\n") if line.strip()]
        lines.extend(stripped)
        breaks.extend(number == 0 for number in range(len(stripped)))
    return lines, breaks


def _is_footer_line(line: str) -> bool:
    if len(line) > _MAX_FOOTER_LINE:
        return False
    if _FOOTER_LINE.search(line):
        return True
    if _LABELLED_PHONE.search(line) and not is_sentence(line):
        return True
    return bool(_EMAIL.search(line)) and len(line) < 80 and not is_sentence(line)


def cut_inline_footer(line: str) -> str:
    """``line`` without footers glued to its end ("…했다.※ '당신의 제보가…' 02-398-8585").

    A footer starts within the last _MAX_INLINE_FOOTER characters of the line, and only those
    are searched (a footer may still read on from there, to the end of the line), so the
    time taken grows with the line's length only as far as copying it.
    """
    window = max(0, len(line) - _MAX_INLINE_FOOTER)
    end = len(line)
    while match := _INLINE_FOOTER.search(line, window, end):
        end = window + len(line[window : match.start()].rstrip())
        if end == window:
            end = len(line[:window].rstrip())
            break
    return line[:end]


def is_sentence(line: str) -> bool:
    """A line that reads as prose: long enough and ending like a sentence, or holding several."""
    if len(line) < _MIN_SENTENCE_CHARS:
        return False
    return bool(_SENTENCE_END.search(line)) or len(_TERMINATOR.findall(line)) >= 2


def _article_block(lines: list[str]) -> tuple[int, int]:
    """[start, end) of the run of lines maximising prose length minus a cost per other line."""
    best = (0, 0, 0)
    start, total = 0, 0
    for index, line in enumerate(lines):
        if total <= 0:
            start, total = index, 0
        total += len(line) if is_sentence(line) else -_GAP_COST
        if total > best[0]:
            best = (total, start, index + 1)
    if best[0] == 0:
        return 0, len(lines)
    return best[1], best[2]


def repeated_lines(
    bodies: Iterable[str], *, min_docs: int = 5, min_share: float = 0.05
) -> frozenset[str]:
    """Lines found in at least ``min_docs`` and ``min_share`` of a source's documents."""
    counts: Counter[str] = Counter()
    documents = 0
    for body in bodies:
        documents += 1
        lines = body.split("\n")
        counts.update({_key(line) for line in lines if 0 < len(line) <= _MAX_REPEATED_LINE})
    threshold = max(min_docs, min_share * documents)
    return frozenset(line for line, count in counts.items() if line and count >= threshold)


def drop_lines(text: str, lines: Collection[str]) -> str:
    """``text`` without the lines in ``lines`` (as returned by ``repeated_lines``)."""
    kept = [line for line in text.split("\n") if _key(line) not in lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _key(line: str) -> str:
    return " ".join(line.split())
