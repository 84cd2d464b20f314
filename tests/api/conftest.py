"""The sending fixtures (a verified sender, an approved template) for the API tests."""

from tests.sending.conftest import (  # noqa: F401
    approved_template,
    make_sender,
    make_template,
    template_reviewer,
    verified_sender,
)
