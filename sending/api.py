"""The sending app's API actions, registered by the modules they live in."""

from . import api_blocklist, api_send  # noqa: F401
