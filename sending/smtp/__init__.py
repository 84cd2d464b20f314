"""The SMTP submission endpoint (`manage.py smtpd`): applications that only speak SMTP
send through the same rules and the same code as the API.

- server:     the aiosmtpd sessions on the STARTTLS and implicit-TLS ports, their limits
- auth:       AUTH PLAIN and LOGIN against sender addresses' SMTP passwords, failure limits
- addresses:  what MAIL FROM and RCPT TO accept (no source routes, % or ! relaying)
- submission: a submitted message (MIME) as a sending.service.SendRequest
- replies:    every refusal as an SMTP reply with its enhanced status code
- tls:        the server's TLS context from settings
- selfsigned: a self-signed certificate for `make run` (no Django needed)
"""
