"""What a template says: the visible text of HTML, word counts, and the word lists.

Words are runs of letters and digits in any script ("don't" is one word), and
every Chinese or Japanese character is one word, since those languages do not
separate words with spaces; {{variables}} are removed before counting.

Word lists live in wordlists/<name>.txt (UTF-8): "# Heading" starts a
category, "##" lines are comments, every other non-blank line is a term.
Terms with Chinese or Japanese characters match anywhere (substring); other
terms match case-insensitively as whole words, with an optional plural "s"
("es" after s, x, z, ch, sh), spaces in a term also matching hyphens.
"""

import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from .variables import PLACEHOLDER

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
LETTER = rf"[^\W_{CJK}]"  # a letter or digit outside CJK
_WORD = re.compile(rf"[{CJK}]|{LETTER}+(?:['\u2019]{LETTER}+)*")
_HEAD_TAGS = frozenset(["head", "title", "meta", "link", "base", "style", "script", "noscript"])
_INLINE = frozenset(  # tags that do not break words apart: <b>bo</b>ld is one word
    "a abbr b big code em font i mark s small span strike strong sub sup u".split()  # noqa: SIM905
)
_CSS_BACKGROUND = re.compile(r"background(?:-image)?\s*:([^;}]*)", re.I)


@dataclass(frozen=True)
class HtmlContent:
    text: str = ""  # what a reader sees, whitespace collapsed
    labels: str = ""  # alt and title attributes
    images: int = 0
    hrefs: tuple[str, ...] = ()


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.labels, self.hrefs, self.css = [], [], [], []
        self.images = 0
        self._hidden = None  # inside <script>, <style> or <title>
        self._head = False

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "head":
            self._head = True
        elif tag not in _HEAD_TAGS:
            self._head = False  # as browsers do: body content closes <head>
        if tag in ("script", "style", "title"):
            self._hidden = tag
        self.images += (tag == "img") + bool(attrs.get("background", "").strip())
        if tag in ("a", "area") and attrs.get("href", "").strip():
            self.hrefs.append(attrs["href"].strip())
        self.css.append(attrs.get("style", ""))
        self.labels.extend(attrs.get(name, "") for name in ("alt", "title"))
        if tag not in _INLINE:
            self.text.append(" ")

    def handle_endtag(self, tag):
        if tag == self._hidden:
            self._hidden = None
        if tag == "head":
            self._head = False
        if tag not in _INLINE:
            self.text.append(" ")

    def handle_data(self, data):
        if self._hidden == "style":
            self.css.append(data)
        elif self._hidden is None and not self._head:
            self.text.append(data)


def _collapse(chunks) -> str:
    return " ".join("".join(chunks).split())


def read_html(html: str) -> HtmlContent:
    """The visible text, attribute labels, image count and link targets of an HTML part."""
    reader = _Reader()
    reader.feed(html or "")
    reader.close()
    css_images = sum(
        declaration.lower().count("url(")
        for css in reader.css
        for declaration in _CSS_BACKGROUND.findall(css)
    )
    return HtmlContent(
        text=_collapse(reader.text),
        labels=_collapse(" ".join(reader.labels)),
        images=reader.images + css_images,
        hrefs=tuple(reader.hrefs),
    )


def count_words(text: str) -> int:
    """Words in text, {{variables}} excluded; each Chinese/Japanese character is one word."""
    return len(_WORD.findall(PLACEHOLDER.sub(" ", text or "")))


@dataclass(frozen=True)
class Term:
    category: str
    term: str
    pattern: re.Pattern


def _term_pattern(term: str) -> re.Pattern:
    if re.search(f"[{CJK}]", term):
        return re.compile(re.escape(term), re.I)
    body = r"[\s\-]+".join(map(re.escape, term.split()))
    if term[-1].isalpha():
        body += "(?:es)?" if re.search(r"(?:s|x|z|ch|sh)$", term, re.I) else "s?"
    return re.compile(rf"(?<!{LETTER}){body}(?!{LETTER})", re.I)


@cache
def wordlist(name: str) -> tuple[Term, ...]:
    """The terms of wordlists/<name>.txt ("# Heading" lines name the category; "##" comments)."""
    terms, category = [], ""
    path = Path(__file__).with_name("wordlists") / f"{name}.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("##"):
            continue
        if line.startswith("#"):
            category = line.lstrip("#").strip()
        else:
            terms.append(Term(category, line, _term_pattern(line)))
    return tuple(terms)


def matches(name: str, haystack: str) -> dict[str, list[str]]:
    """The terms of word list name found in haystack, by category."""
    found: dict[str, list[str]] = {}
    for term in wordlist(name):
        if term.pattern.search(haystack):
            found.setdefault(term.category, []).append(term.term)
    return found
