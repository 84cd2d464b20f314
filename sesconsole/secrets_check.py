"""Finding stored secrets that no configured key decrypts, for the apps' system checks.

A check of this kind reads the database, which `manage.py check` may run where there
is none yet (before `migrate`) or none reachable (a deploy check on a build machine):
then it reports nothing, since it cannot tell.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import DatabaseError

from . import crypto


def undecryptable(rows: Iterable[Mapping[str, Any]], field: str, label: str) -> list[str] | None:
    """The labels (`label` formatted with the row) of the `rows` (a values() queryset)
    whose `field` no configured key decrypts; None when the database cannot be read."""
    try:
        rows = list(rows)
    except DatabaseError:
        return None
    return [label.format(**row) for row in rows if not crypto.can_decrypt(row[field])]
