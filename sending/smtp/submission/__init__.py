"""The submission endpoint (`manage.py smtpd`): sessions, limits, TLS and replies of the
server, and a submitted message turned into the API's SendRequest (message)."""
