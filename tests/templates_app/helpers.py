"""Template content for tests: plausible words and a revision ready for review."""

SENTENCE = (
    "Thank you for choosing our service today we confirm that your request was received "
    "and our team will process it within the agreed time"
)


def words(count: int) -> str:
    base = SENTENCE.split()
    return " ".join(base[i % len(base)] for i in range(count))


def good_html(count: int = 60) -> str:
    return f"<p>Hello {{{{name}}}},</p><p>{words(count)}</p>"
