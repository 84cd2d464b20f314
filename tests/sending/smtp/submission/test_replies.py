"""Every refusal the sending rules can raise has an SMTP reply of the right class, and
every reply aiosmtpd writes by itself gets an enhanced status code."""

import re
from pathlib import Path

import pytest

from sending.smtp.submission import replies
from sesconsole.refusals import Refusal

ROOT = Path(__file__).resolve().parents[4]
# The modules whose rules an SMTP submission goes through.
RULES = [
    "sending/acceptance/service.py",
    "sending/acceptance/parse.py",
    "sending/acceptance/content.py",
    "sending/acceptance/attachments.py",
    "sending/acceptance/headers.py",
    "domains/services.py",
    "templates_app/variables.py",
]
TEMPORARY = {
    "RequestLimitExceeded",
    "FailedOperation.ExceedSendLimit",
    "FailedOperation.FrequencyLimit",
}


def raised_codes() -> set[str]:
    codes = set()
    for name in RULES:
        source = (ROOT / name).read_text()
        codes.update(re.findall(r'Refusal\(\s*"([A-Za-z.]+)"', source))
        codes.update(
            re.findall(r'^\s+"((?:FailedOperation|InvalidParameterValue)\.\w+)",$', source, re.M)
        )
    return codes


def test_every_rule_has_a_reply():
    codes = raised_codes()
    assert len(codes) > 20
    # Codes of rules an SMTP submission never reaches (they are about domains and passwords).
    unreachable = {c for c in codes if c.startswith("OperationDenied.") and "Template" not in c}
    unreachable |= {
        "InvalidParameterValue.InvalidEmailIdentity",
        "InvalidParameterValue.RepeatCreation",
        "InvalidParameterValue.CreatedByOther",
        "InvalidParameterValue.NotExistDomain",
        "InvalidParameterValue.RepeatEmailAddress",
        "InvalidParameterValue.InvalidSmtpPassWord",
    }
    assert sorted(codes - unreachable - set(replies.API_REPLIES)) == []


@pytest.mark.parametrize(("code", "reply"), sorted(replies.API_REPLIES.items()))
def test_reply_classes(code, reply):
    number, enhanced = reply
    klass = "4" if code in TEMPORARY else "5"
    assert str(number)[0] == enhanced[0] == klass
    line = replies.for_refusal(Refusal(code, "Why it was refused."))
    assert line == f"{number} {enhanced} Why it was refused. ({code})"


def test_replies_stay_one_short_line():
    line = replies.for_refusal(Refusal("InvalidParameterValue", "a\r\nb " + "x" * 2000))
    assert "\r" not in line and "\n" not in line
    assert line.startswith("550 5.6.0 a b ")
    assert len(line) <= 510


@pytest.mark.parametrize("status", sorted(replies._EXACT))
def test_aiosmtpd_replies_get_enhanced_codes(status):
    rewritten = replies.rewrite(status)
    assert re.match(r"^\d{3} [245]\.\d+\.\d+ \S", rewritten), rewritten
    assert rewritten[0] == status[0]


def test_rewrite_leaves_greeting_ehlo_and_enhanced_replies_alone():
    for status in ("220 smtp.example ESMTP", "250-SIZE 4194304", "250 HELP", "354 End data"):
        assert replies.rewrite(status) == status
    assert replies.rewrite("550 5.7.1 Already clear") == "550 5.7.1 Already clear"
    assert replies.rewrite("501 Syntax: MAIL FROM: <address>") == (
        "501 5.5.4 Syntax: MAIL FROM: <address>"
    )
