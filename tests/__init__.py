"""The test suite, by app (and by sub-package for sending), with the real servers tests
talk to: DNS, SMTP, Celery workers, the official SDK, Chromium."""
