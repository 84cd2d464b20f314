"""The README's first section says what runs today: delivery included."""

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def first_section(text: str) -> str:
    """From the title to the first second-level heading."""
    return text.split("\n## ", 1)[0]


def check(text: str) -> None:
    intro = first_section(text)
    assert "next release" not in intro
    for works in (
        "delivery",
        "DKIM-signed",
        "MX hosts",
        "retried",
        "bounces",
        "mailbox simulator",
        "TLS",
        "SMTP submission",
    ):
        assert works in intro, f"the first section does not mention {works!r}"


def test_what_works_today_includes_delivery():
    check(README.read_text(encoding="utf-8"))
