"""Content check for templates: the seed's content standards (block) and spam advice (warn).

How text is measured (see reading.py): the HTML part's text is what a reader
sees (no <head>, <title>, <script> or <style>); each Chinese or Japanese
character is a word; {{variables}} are not words. Both parts carry the same
message, so the word minimum applies to the richer part (the larger count);
the variable ratio holds for each part on its own; image rules concern the
HTML part. alt/title attributes are not words but are scanned for word lists.

Rules, with id, severity and threshold:
- content.empty (block): no words, no variables and no images at all.
- words.minimum (block): fewer words than MINIMUM_WORDS for the category
  (marketing 150; notification, transactional, test 50; trigger none).
- variables.only (block): variables but no words once they are removed.
- variables.ratio (block): a part with variable occurrences * 5 > words.
- images.maximum (block): more than 50 images (<img>, background attributes,
  CSS background url()s).
- images.only (block): the HTML part has images but no words.
- links.redirect (block): a shortener (SHORTENERS) or a redirect link: a
  redirect script path, a redirect parameter (REDIRECT_PARAMS) or a parameter
  whose value is itself a URL.
- subjects.prohibited (block): a term of wordlists/prohibited.txt in the
  subject, the visible text, alt/title attributes or the text part; one
  finding per category.
- links.url (warn): any other URL or link (http(s)/ftp/www. in text, any <a>
  href but mailto:, tel: and #anchors; an href that is a {{variable}} is a link
  too). The seed says not to include URLs, but transactional mail needs some:
  the reviewer judges.
- images.many (warn): more than 3 images (seed: "more than 3 images is risky").
- images.ratio (warn): fewer than 40 words per image in the HTML part. The
  seed's "images to text about 2:8" with an image taking the room of about
  10 words: 10 * images <= words / 4, i.e. words >= 40 * images.
- words.spammy (warn): a term of wordlists/spammy.txt anywhere.
- words.shouty (warn): in the subject or a part, more than half of at least 12
  cased letters are capitals, or a run of 3 or more "!"/"?".
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from .reading import HtmlContent, count_words, matches, read_html
from .variables import PLACEHOLDER

BLOCK, WARN = "block", "warn"
MINIMUM_WORDS = {"marketing": 150, "notification": 50, "transactional": 50, "test": 50}
MINIMUM_WORDS["trigger"] = 0
WORDS_PER_VARIABLE = 5
MAX_IMAGES = 50
RISKY_IMAGES = 3
WORDS_PER_IMAGE = 40
SHOUTY_MIN_LETTERS = 12
SHOUTY_SHARE = 0.5
SHORTENERS = frozenset(
    "bit.ly t.cn t.co tinyurl.com goo.gl ow.ly is.gd v.gd buff.ly rebrand.ly cutt.ly dwz.cn"  # noqa: SIM905
    " url.cn suo.im rb.gy shorturl.at tiny.cc t.ly s.id lnkd.in".split()
)
REDIRECT_PARAMS = frozenset(
    "url redirect redirect_url redirect_uri redirecturl redir goto jump jumpto"  # noqa: SIM905
    " return_url returnurl".split()
)

_URL_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%{}]+"
_URL = re.compile(rf"(?:(?:https?|ftp)://|www\.){_URL_CHARS}", re.I)
_SHORT_URL = re.compile(
    rf"(?<![\w.])(?:{'|'.join(map(re.escape, sorted(SHORTENERS)))})/{_URL_CHARS}", re.I
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_REDIRECT_PATH = re.compile(
    r"/(?:(?:r|go|goto|out|jump|redir|redirect)\.(?:php|aspx?|jsp|cgi)|redirect|redir)/?$", re.I
)
_SHOUTING = re.compile("[!?\uff01\uff1f]{3,}")  # ASCII and full-width ! and ?

_SOURCES = {
    "content.empty": "The message meaning and scenario must be identifiable "
    "through the text content",
    "words.minimum": "Word count requirements: at least 150 words for marketing emails; "
    "at least 50 words for notification, transactional, and testing emails",
    "variables.only": "Variables: variable-only templates are not supported",
    "variables.ratio": "Variables: keep the ratio of variables to text less than or equal to 1:5",
    "images.maximum": "Number of images: do not include more than 50 images in an email",
    "images.only": "Image-only templates (templates with only image but no text) are not supported",
    "links.redirect": "Do not include URLs or redirection links in emails",
    "links.url": "Do not include URLs or redirection links in emails",
    "subjects.prohibited": "Content requirements: do not send emails involving prohibited content",
    "images.many": "Spam advice 3: more than 3 images is risky",
    "images.ratio": "Spam advice 3: keep images to text about 2:8",
    "words.spammy": "Spam advice 1-2: avoid obviously marketing "
    "and excessively commercialized words",
    "words.shouty": "Spam advice 2: avoid obvious spam",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    source: str


def _finding(rule: str, severity: str, message: str) -> Finding:
    return Finding(rule, severity, message, _SOURCES[rule])


def blocking(findings) -> list[Finding]:
    """The findings that refuse the template (severity "block")."""
    return [finding for finding in findings if finding.severity == BLOCK]


def _listing(items, limit=5) -> str:
    shown = ", ".join(f"'{item}'" for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _split(url: str):
    if not _SCHEME.match(url) and not url.startswith(("/", "{")):
        url = "http://" + url  # www.example.com, bit.ly/x
    try:
        return urlsplit(url)
    except ValueError:
        return None


def is_redirect(url: str) -> bool:
    """Whether url goes through a shortener or a redirect script rather than to its page."""
    parts = _split(url)
    if parts is None:
        return False
    host = (parts.hostname or "").removeprefix("www.")
    if host in SHORTENERS or _REDIRECT_PATH.search(parts.path):
        return True
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        target = unquote(value).strip().lower()
        if name.lower() in REDIRECT_PARAMS or target.startswith(("http:", "https:", "//", "www.")):
            return True
    return False


def _links(page: HtmlContent, text: str, subject: str) -> list[str]:
    found = [
        href
        for href in page.hrefs
        if not href.startswith("#") and not href.lower().startswith(("mailto:", "tel:"))
    ]
    for chunk in (subject, page.text, text):
        for pattern in (_URL, _SHORT_URL):
            found.extend(url.rstrip(".,;:!?") for url in pattern.findall(chunk))
    return list(dict.fromkeys(found))


def _nothing_to_read(variables: int, images: int) -> list[Finding]:
    if variables:
        message = f"The template has {_plural(variables, 'variable')} and no other words."
        return [_finding("variables.only", BLOCK, message)]
    if not images:
        return [_finding("content.empty", BLOCK, "The template has no text.")]
    return []  # images only: see _image_rules


def _word_rules(category: str, words: int, parts) -> list[Finding]:
    findings = []
    minimum = MINIMUM_WORDS[category]
    if words < minimum:
        message = f"The text has {words} words; {category} templates need at least {minimum}."
        findings.append(_finding("words.minimum", BLOCK, message))
    for label, source, visible in parts:
        variables, count = len(PLACEHOLDER.findall(source)), count_words(visible)
        if variables * WORDS_PER_VARIABLE > count:
            message = (
                f"The {label} has {_plural(variables, 'variable')} and {_plural(count, 'word')};"
                f" keep at most 1 variable per {WORDS_PER_VARIABLE} words"
                f" ({count // WORDS_PER_VARIABLE} here)."
            )
            findings.append(_finding("variables.ratio", BLOCK, message))
    return findings


def _image_rules(page: HtmlContent) -> list[Finding]:
    images, words = page.images, count_words(page.text)
    if not images:
        return []
    findings = []
    if images > MAX_IMAGES:
        message = f"The HTML part has {images} images; the limit is {MAX_IMAGES}."
        findings.append(_finding("images.maximum", BLOCK, message))
    elif images > RISKY_IMAGES:
        message = f"The HTML part has {images} images; more than {RISKY_IMAGES} is risky."
        findings.append(_finding("images.many", WARN, message))
    if not words:
        message = f"The HTML part has {_plural(images, 'image')} and no text."
        findings.append(_finding("images.only", BLOCK, message))
    elif words < images * WORDS_PER_IMAGE:
        message = (
            f"The HTML part has {_plural(images, 'image')} and {_plural(words, 'word')};"
            f" keep images to about 2:8 of the content: at least {WORDS_PER_IMAGE} words"
            f" per image ({images * WORDS_PER_IMAGE} here)."
        )
        findings.append(_finding("images.ratio", WARN, message))
    return findings


def _link_rules(page: HtmlContent, text: str, subject: str) -> list[Finding]:
    links = _links(page, text, subject)
    redirects = [link for link in links if is_redirect(link)]
    others = [link for link in links if link not in redirects]
    findings = []
    if redirects:
        message = f"Redirect or shortened links are not allowed: {_listing(redirects)}."
        findings.append(_finding("links.redirect", BLOCK, message))
    if others:
        message = (
            f"The template has {_plural(len(others), 'link')}: {_listing(others)}."
            " The service advises against URLs; the reviewer decides."
        )
        findings.append(_finding("links.url", WARN, message))
    return findings


def _shouting(label: str, piece: str) -> Finding | None:
    letters = [c for c in piece if c.isupper() or c.islower()]
    capitals = sum(c.isupper() for c in letters)
    if len(letters) >= SHOUTY_MIN_LETTERS and capitals > len(letters) * SHOUTY_SHARE:
        message = f"The {label} is mostly capitals ({capitals} of {len(letters)} letters)."
        return _finding("words.shouty", WARN, message)
    if run := _SHOUTING.search(piece):
        return _finding("words.shouty", WARN, f"The {label} has '{run[0]}'.")
    return None


def _word_list_rules(page: HtmlContent, text: str, subject: str) -> list[Finding]:
    pieces = {"subject": subject, "HTML part": page.text, "text part": text}
    pieces = {label: PLACEHOLDER.sub(" ", piece) for label, piece in pieces.items()}
    haystack = "\n".join([*pieces.values(), page.labels])
    findings = [
        _finding("subjects.prohibited", BLOCK, f"{category}: {_listing(terms)}")
        for category, terms in matches("prohibited", haystack).items()
    ]
    spammy = [term for terms in matches("spammy", haystack).values() for term in terms]
    if spammy:
        message = f"Words spam filters often flag: {_listing(spammy)}."
        findings.append(_finding("words.spammy", WARN, message))
    shouts = (_shouting(label, piece) for label, piece in pieces.items())
    return findings + [finding for finding in shouts if finding]


def check_content(category: str, html: str, text: str, subject: str = "") -> list[Finding]:
    """Every finding for a template of this category (see the module docstring for rules)."""
    category = (category or "").strip().lower()
    if category not in MINIMUM_WORDS:
        raise ValueError(
            f"Unknown template category {category!r}; use one of {list(MINIMUM_WORDS)}."
        )
    html, text, subject = html or "", text or "", subject or ""
    page = read_html(html) if html.strip() else HtmlContent()
    parts = [("HTML part", html, page.text)] if html.strip() else []
    parts += [("text part", text, text)] if text.strip() else []
    words = max((count_words(visible) for _, _, visible in parts), default=0)
    if words:
        findings = _word_rules(category, words, parts)
    else:
        variables = sum(len(PLACEHOLDER.findall(source)) for _, source, _ in parts)
        findings = _nothing_to_read(variables, page.images)
    findings += _image_rules(page)
    findings += _link_rules(page, text, subject)
    return findings + _word_list_rules(page, text, subject)
