"""Template variables: finding `{{name}}` placeholders, parsing TemplateData, rendering.

A placeholder is `{{name}}`, optionally with spaces or tabs inside the braces
(`{{ name }}`). Names are ASCII letters, digits and underscores, and they are
case-sensitive: `{{Name}}` and `{{name}}` are two different variables.

Rendering is single-pass: a value that itself contains `{{x}}` is inserted as
it is, never expanded again.
"""

import json
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from html import escape

PLACEHOLDER = re.compile(r"\{\{[ \t]*([A-Za-z0-9_]+)[ \t]*\}\}")

_JSON_TYPES = {dict: "an object", list: "an array", bool: "a boolean", type(None): "null"}


class TemplateDataError(ValueError):
    """Base class: the data given for a template cannot fill it."""


class MissingVariables(TemplateDataError):
    """The template uses variables the data does not provide; `names` lists all of them, sorted."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(sorted(set(names)))
        super().__init__(f"Missing template variables: {', '.join(self.names)}.")


class BadTemplateData(TemplateDataError):
    """TemplateData (or a value in it) is not usable; `message` says why."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def find_variables(*parts: str) -> list[str]:
    """The variable names used in the parts, in order of first appearance, each once."""
    names: dict[str, None] = {}
    for part in parts:
        for match in PLACEHOLDER.finditer(part or ""):
            names.setdefault(match[1], None)
    return list(names)


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float | Decimal):
        return math.isfinite(value)
    return False


def _describe(value) -> str:
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        return "a non-finite number"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _as_text(name: str, value) -> str:
    if isinstance(value, str):
        return value
    if _is_number(value):
        return str(value)
    raise BadTemplateData(
        f"The value of template variable {name!r} must be a string or a number, "
        f"not {_describe(value)}."
    )


def render(html: str, text: str, data: dict) -> tuple[str, str]:
    """Fill both parts from data: values HTML-escaped in the HTML part, as they are in the text.

    Raises MissingVariables naming every variable the data lacks, and
    BadTemplateData when a value used is neither a string nor a finite number.
    Keys the template does not use are ignored (and not checked).
    """
    html, text = html or "", text or ""
    needed = find_variables(html, text)
    missing = [name for name in needed if name not in data]
    if missing:
        raise MissingVariables(missing)
    values = {name: _as_text(name, data[name]) for name in needed}
    escaped = {name: escape(value, quote=True) for name, value in values.items()}
    return (
        PLACEHOLDER.sub(lambda match: escaped[match[1]], html),
        PLACEHOLDER.sub(lambda match: values[match[1]], text),
    )


def _refuse_constant(name: str):
    raise BadTemplateData(f"TemplateData is not valid JSON: {name} is not allowed.")


def parse_template_data(raw: object) -> dict:
    """The API's TemplateData JSON string as a dict of strings and numbers.

    Empty (or blank) means no data: {}. Anything but a JSON object whose values
    are strings or finite numbers raises BadTemplateData. Numbers are kept as
    numbers; render() turns them into text.
    """
    if raw is None:
        return {}
    if not isinstance(raw, str):
        raise BadTemplateData("TemplateData must be a string holding a JSON object.")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise BadTemplateData(f"TemplateData is not valid JSON: {error.msg}.") from error
    except BadTemplateData:  # NaN or Infinity, refused by _refuse_constant
        raise
    except (ValueError, RecursionError) as error:
        # JSON that Python will not build: an integer of more than 4300 digits,
        # nesting deeper than the interpreter's recursion limit.
        raise BadTemplateData(
            "TemplateData cannot be read: it has a number too long or nesting too deep."
        ) from error
    if not isinstance(data, dict):
        raise BadTemplateData(
            f'TemplateData must be a JSON object such as {{"name": "Ana"}}, not {_describe(data)}.'
        )
    for key, value in data.items():
        if not (isinstance(value, str) or _is_number(value)):
            raise BadTemplateData(
                f"TemplateData value for {key!r} must be a string or a number, "
                f"not {_describe(value)}."
            )
    return data
