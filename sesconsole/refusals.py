"""A refusal: something the service turns down, with a code and a reason.

Every app's rules raise it, whatever asked (the API, the console, SMTP): the code
is Tencent's error code, the one vocabulary of reasons the service has, and each
edge renders it its own way: the Tencent error envelope (sesconsole.api), an SMTP
reply (sending.smtp.submission.replies), a form error (the console's views).
"""


class Refusal(Exception):
    def __init__(self, code: str, message: str = "", param: str | None = None):
        self.code = code
        self.message = message or code
        # The request parameter refused, where one is ("Destination"): the console
        # shows the message under that parameter's form field.
        self.param = param
        super().__init__(f"{self.code}: {self.message}")
