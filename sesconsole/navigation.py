"""The console's navigation, in the order of the SES console.

An entry appears only when its page exists: entries name URL patterns, and
a pattern that no app has registered yet is left out (with its group, when
the group is then empty).
"""

from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

NAVIGATION = [
    ("Overview", [("Overview", "overview")]),
    (
        "Configuration",
        [
            ("Sender Domain", "domains:list"),
            ("Sender Address", "domains:senders"),
            ("Email Template", "templates:list"),
            ("Callback Address", "sending:callbacks"),
            ("Delivery Settings", "delivery_settings"),
        ],
    ),
    (
        "Email Sending",
        [
            ("Send", "sending:send"),
            ("Message Log", "sending:messages"),
            ("Batch Tasks", "sending:batch_tasks"),
            ("Recipient Lists", "sending:recipient_lists"),
        ],
    ),
    ("Statistics", [("Statistics", "stats:overview")]),
    ("Blocklist", [("Blocklist", "sending:blocklist")]),
    ("Plan Management", [("Plan Management", "accounts:plan")]),
    ("Dedicated IP", [("Dedicated IP", "sending:dedicated_ips")]),
    ("API Keys", [("API Keys", "api_keys")]),
]


@cache
def _resolved() -> tuple[tuple[str, list[tuple[str, str]]], ...]:
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for title, entries in NAVIGATION:
        links: list[tuple[str, str]] = []
        for label, name in entries:
            try:
                links.append((label, reverse(name)))
            except NoReverseMatch:
                continue
        if links:
            groups.append((title, links))
    return tuple(groups)


def _matches(path: str, url: str, urls: list[str]) -> bool:
    """Whether `path` is the page at `url` or one under it.

    A URL that begins other entries' URLs (the Overview's /console/ begins them
    all) stands for its own page only: else every page without an entry of its
    own, such as Members, would light up the Overview.
    """
    if path == url:
        return True
    return path.startswith(url) and not any(o != url and o.startswith(url) for o in urls)


def console_navigation(request: HttpRequest) -> list[dict[str, Any]]:
    groups = _resolved()
    urls = [url for _, links in groups for _, url in links]
    # The longest URL that matches the path is the page we are on.
    prefixes = [url for url in urls if _matches(request.path, url, urls)]
    current = max(prefixes, key=len, default=None)
    return [
        {
            "title": title,
            "links": [
                {"label": label, "url": url, "active": url == current} for label, url in links
            ],
        }
        for title, links in groups
    ]
