"""SMTP: reply codes and enhanced status codes (status, RFC 3463) shared by the delivery
client (client) and the submission server (submission/)."""
