"""The SMTP client against real aiosmtpd servers on 127.0.0.1."""

import time

import pytest

from sending.smtp.client import SessionError, SmtpSession, classify, parse_reply
from tests.smtpservers import TLS_HOSTNAME, Recorder, authenticator

# The shared fixtures (assigned rather than imported, so they need no noqa at each use).

MESSAGE = b"From: a@ours.test\r\nTo: b@x.test\r\nSubject: hi\r\n\r\nHello.\r\n"


def session(server, **kwargs):
    kwargs.setdefault("helo_name", "out.ours.test")
    kwargs.setdefault("timeout", 5)
    return SmtpSession(TLS_HOSTNAME, server.host, server.port, **kwargs)


def test_delivers_and_records(smtp_server):
    server = smtp_server(Recorder())
    with session(server) as s:
        result = s.send("bounce@ours.test", ["b@x.test", "c@x.test"], MESSAGE)
    assert result.accepted == ["b@x.test", "c@x.test"]
    assert result.refused == {}
    assert result.data_reply[0] == 250
    assert result.server_ip == "127.0.0.1"
    assert result.tls_version is None
    assert {o.status for o in result.outcomes.values()} == {"delivered"}
    [received] = server.handler.messages
    assert received.mail_from == "bounce@ours.test"
    assert received.rcpt_tos == ["b@x.test", "c@x.test"]
    assert received.content == MESSAGE
    assert server.handler.mail_options == [[f"SIZE={len(MESSAGE)}"]]


def test_bare_lf_becomes_crlf(smtp_server):
    server = smtp_server(Recorder())
    with session(server) as s:
        s.send("a@ours.test", ["b@x.test"], b"Subject: x\n\nline\n")
    assert server.handler.messages[0].content == b"Subject: x\r\n\r\nline\r\n"


def test_one_recipient_refused(smtp_server):
    server = smtp_server(Recorder(refuse={"gone@x.test": "550 5.1.1 no such user"}))
    with session(server) as s:
        result = s.send("a@ours.test", ["gone@x.test", "b@x.test"], MESSAGE)
    assert result.accepted == ["b@x.test"]
    assert result.refused == {"gone@x.test": (550, "5.1.1", "no such user")}
    gone = result.outcomes["gone@x.test"]
    assert (gone.status, gone.hard, gone.category) == ("bounced", True, "mailbox")
    assert result.outcomes["b@x.test"].status == "delivered"
    assert server.handler.messages[0].rcpt_tos == ["b@x.test"]


def test_all_recipients_refused_sends_no_data(smtp_server):
    server = smtp_server(Recorder(refuse={"gone@x.test": "550 5.1.1 no such user"}))
    with session(server) as s:
        result = s.send("a@ours.test", ["gone@x.test"], MESSAGE)
    assert result.data_reply is None
    assert server.handler.messages == []


def test_deferred_data_reply(smtp_server):
    server = smtp_server(Recorder(data_reply="451 4.3.0 try again later"))
    with session(server) as s:
        result = s.send("a@ours.test", ["b@x.test"], MESSAGE)
    assert result.data_reply == (451, "4.3.0 try again later")
    outcome = result.outcomes["b@x.test"]
    assert (outcome.status, outcome.code, outcome.enhanced) == ("deferred", 451, "4.3.0")


def test_session_reused_with_rset(smtp_server):
    server = smtp_server(Recorder())
    with session(server) as s:
        first = s.send("a@ours.test", ["b@x.test"], MESSAGE)
        second = s.send("c@ours.test", ["d@x.test"], MESSAGE + b"again\r\n")
    assert first.data_reply[0] == second.data_reply[0] == 250
    assert [(m.mail_from, m.rcpt_tos) for m in server.handler.messages] == [
        ("a@ours.test", ["b@x.test"]),
        ("c@ours.test", ["d@x.test"]),
    ]


def test_starttls_unverified_by_default(smtp_server, tls_ca):
    server = smtp_server(Recorder(), tls_context=tls_ca.server_context())
    with session(server) as s:
        result = s.send("a@ours.test", ["b@x.test"], MESSAGE)
    assert result.tls_version in ("TLSv1.2", "TLSv1.3")
    assert result.outcomes["b@x.test"].status == "delivered"
    assert server.handler.messages[0].tls


def test_starttls_verified_against_ca(smtp_server, tls_ca):
    server = smtp_server(Recorder(), tls_context=tls_ca.server_context())
    with session(server, ssl_context=tls_ca.client_context()) as s:
        result = s.send("a@ours.test", ["b@x.test"], MESSAGE)
    assert result.tls_version in ("TLSv1.2", "TLSv1.3")
    assert server.handler.messages[0].tls


def test_starttls_verification_failure_defers(smtp_server, tls_ca):
    server = smtp_server(Recorder(), tls_context=tls_ca.server_context())
    with pytest.raises(SessionError) as error, session(server, tls_verify=True):
        pass  # the system trust store does not know the test CA
    assert (error.value.outcome.status, error.value.outcome.category) == ("deferred", "tls")
    assert server.handler.messages == []


def test_tls_none_skips_starttls(smtp_server, tls_ca):
    server = smtp_server(Recorder(), tls_context=tls_ca.server_context())
    with session(server, tls="none") as s:
        result = s.send("a@ours.test", ["b@x.test"], MESSAGE)
    assert result.tls_version is None
    assert not server.handler.messages[0].tls


def test_sender_refused(smtp_server):
    server = smtp_server(Recorder(mail_reply="553 5.1.8 sender domain unknown"))
    with session(server) as s:
        result = s.send("a@nowhere.test", ["b@x.test", "c@x.test"], MESSAGE)
    assert result.accepted == [] and result.data_reply is None
    assert (result.error.status, result.error.category) == ("bounced", "policy")
    assert result.outcomes == {"b@x.test": result.error, "c@x.test": result.error}


def test_tls_required_but_not_offered(smtp_server):
    server = smtp_server(Recorder())
    with pytest.raises(SessionError) as error, session(server, tls_required=True) as s:
        s.send("a@ours.test", ["b@x.test"], MESSAGE)
    outcome = error.value.outcome
    assert (outcome.status, outcome.category, outcome.enhanced) == ("deferred", "tls", "4.7.4")
    assert server.handler.messages == []


def test_implicit_tls(smtp_server, tls_ca):
    server = smtp_server(Recorder(), implicit_tls=tls_ca.server_context())
    context = tls_ca.client_context()
    with session(server, tls="implicit", ssl_context=context, tls_required=True) as s:
        result = s.send("a@ours.test", ["b@x.test"], MESSAGE)
    assert result.tls_version in ("TLSv1.2", "TLSv1.3")
    assert result.outcomes["b@x.test"].status == "delivered"


def test_auth_after_starttls(smtp_server, tls_ca):
    server = smtp_server(
        Recorder(),
        tls_context=tls_ca.server_context(),
        require_starttls=True,
        authenticator=authenticator("relay-user", "s3cret"),
    )
    with session(server, auth=("relay-user", "s3cret"), ssl_context=tls_ca.client_context()) as s:
        result = s.send("a@ours.test", ["b@x.test"], MESSAGE)
    assert result.outcomes["b@x.test"].status == "delivered"
    assert server.handler.messages[0].login == "relay-user"


def test_auth_wrong_password_defers(smtp_server, tls_ca):
    server = smtp_server(
        Recorder(),
        tls_context=tls_ca.server_context(),
        authenticator=authenticator("relay-user", "s3cret"),
    )
    with pytest.raises(SessionError) as error, session(server, auth=("relay-user", "nope")):
        pass
    outcome = error.value.outcome
    assert (outcome.status, outcome.category, outcome.code) == ("deferred", "auth", 535)


def test_no_auth_without_tls(smtp_server):
    server = smtp_server(Recorder(), auth_require_tls=False, authenticator=authenticator("u", "p"))
    with pytest.raises(SessionError) as error, session(server, auth=("u", "p")):
        pass
    assert error.value.outcome.category == "auth"
    with session(server, auth=("u", "p"), auth_without_tls=True) as s:
        s.send("a@ours.test", ["b@x.test"], MESSAGE)
    assert server.handler.messages[0].login == "u"


def test_connection_dropped_in_data_defers(smtp_server):
    server = smtp_server(Recorder(drop_in_data=True))
    with session(server) as s:
        result = s.send("a@ours.test", ["b@x.test"], MESSAGE)
        again = s.send("a@ours.test", ["b@x.test"], MESSAGE)
    outcome = result.outcomes["b@x.test"]
    assert (outcome.status, outcome.category, outcome.code) == ("deferred", "connection", None)
    assert again.error.status == "deferred"  # the session is closed, not reused


def test_silent_server_times_out(silent_server, settings):
    settings.SES_SMTP_TIMEOUT = 0.5
    started = time.monotonic()
    with pytest.raises(SessionError) as error, session(silent_server, timeout=None):
        pass
    assert time.monotonic() - started < 3
    assert (error.value.outcome.status, error.value.outcome.category) == (
        "deferred",
        "connection",
    )


def test_connection_refused_defers(smtp_server):
    server = smtp_server(Recorder())
    server.stop()  # nothing listens on its port any more
    with pytest.raises(SessionError) as error, session(server):
        pass
    assert (error.value.outcome.status, error.value.outcome.enhanced) == ("deferred", "4.4.1")


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        (250, "2.0.0 ok", ("delivered", False, "other")),
        (550, "5.1.1 user unknown", ("bounced", True, "mailbox")),
        (550, "5.7.1 blocked by policy", ("bounced", False, "policy")),
        (550, "5.1.8 bad sender domain", ("bounced", False, "policy")),
        (552, "5.2.2 mailbox full", ("bounced", False, "full")),
        (452, "4.2.2 over quota", ("deferred", False, "full")),
        (451, "4.7.1 greylisted", ("deferred", False, "policy")),
        (421, "try later", ("deferred", False, "other")),
        (554, "transaction failed", ("bounced", True, "other")),
        (550, "4.1.1 mismatched class is ignored", ("bounced", True, "other")),
    ],
)
def test_classify(code, text, expected):
    outcome = classify(code, *parse_reply(text, code))
    assert (outcome.status, outcome.hard, outcome.category) == expected


def test_parse_reply():
    assert parse_reply("5.1.1 <x@y> no such user", 550) == ("5.1.1", "<x@y> no such user")
    assert parse_reply("no code here", 550) == ("", "no code here")
    assert parse_reply("5.1.10", 550) == ("5.1.10", "")
