"""Request validation against the action input objects declared in spec/api.json.

`validate(action, params)` returns a cleaned copy of the parameters or raises
Refusal (MissingParameter, UnknownParameter, InvalidParameter,
InvalidParameterValue) naming the parameter by its path, e.g. `Template.TemplateID`
or `Datas.0.Email`: the same path a GET request spells out in its query.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from django.core.exceptions import ImproperlyConfigured

from .errors import invalid_parameter, invalid_parameter_value, missing_parameter, unknown_parameter

SPEC_PATH = Path(__file__).resolve().parent / "spec" / "api.json"

# api.json names a field's `type` and, for scalars and list elements, a
# `member` that refines it. These are all the values the spec uses; anything
# else makes loading fail instead of silently skipping validation.
SCALAR_MEMBERS = {
    "string": "string",
    "date": "string",
    "datetime": "string",
    "uint64": "int",
    "int64": "int",
    "bool": "bool",
}
FIELD_TYPES = {"string", "int", "bool", "list", "object"}
# Every integer the API takes is stored in, or compared with, a column of at
# most signed 64 bits (IDs are BigAutoField; Offset goes to SQL's OFFSET), so
# uint64 stops at 2**63 - 1: beyond it SQLite and PostgreSQL raise instead of
# answering. Narrower columns (DKIMOption, TriggerType) are checked against
# their few allowed values by the handlers.
INT64_MAX = 2**63 - 1
INT_RANGES = {"uint64": (0, INT64_MAX), "int64": (-INT64_MAX - 1, INT64_MAX)}
# How many dot-separated levels a GET key may have. The spec's deepest
# parameter has 3 (Attachments.0.FileName); un-flattening recurses once a level.
MAX_KEY_DEPTH = 10
_INT_TEXT = re.compile(r"-?[0-9]{1,20}")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    member: str
    required: bool


@dataclass(frozen=True)
class Spec:
    version: str
    inputs: dict[str, str]
    objects: dict[str, tuple[Field, ...]]


def _check(spec: Spec) -> None:
    for object_name, fields in spec.objects.items():
        for f in fields:
            where = f"{object_name}.{f.name}"
            if f.type not in FIELD_TYPES:
                raise ImproperlyConfigured(f"api.json: unsupported type {f.type!r} at {where}")
            if f.type == "object" and f.member not in spec.objects:
                raise ImproperlyConfigured(f"api.json: unknown object {f.member!r} at {where}")
            if f.type == "list" and f.member not in SCALAR_MEMBERS | spec.objects:
                raise ImproperlyConfigured(f"api.json: unknown element {f.member!r} at {where}")
            if f.type in ("string", "int", "bool") and SCALAR_MEMBERS.get(f.member) != f.type:
                raise ImproperlyConfigured(
                    f"api.json: member {f.member!r} is no {f.type} at {where}"
                )
    for action, input_name in spec.inputs.items():
        if input_name not in spec.objects:
            raise ImproperlyConfigured(f"api.json: {action} has no input object {input_name!r}")


@cache
def load() -> Spec:
    raw = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    objects = {
        name: tuple(
            Field(m["name"], m["type"], m["member"], bool(m.get("required", False)))
            for m in obj["members"]
        )
        for name, obj in raw["objects"].items()
    }
    spec = Spec(
        version=raw["metadata"]["apiVersion"],
        inputs={name: a["input"] for name, a in raw["actions"].items()},
        objects=objects,
    )
    _check(spec)
    return spec


def api_version() -> str:
    return load().version


def action_names() -> frozenset[str]:
    return frozenset(load().inputs)


def input_fields(action: str) -> tuple[Field, ...]:
    spec = load()
    return spec.objects[spec.inputs[action]]


# --- validation -----------------------------------------------------------------


def validate(
    action: str,
    params: dict[str, Any],
    missing_codes: Mapping[str, str] | None = None,
    optional: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Check `params` against the action's input; return them with types made exact.

    `missing_codes`: the code of an absent top-level parameter where the action has
    its own (registry.action's `missing`); plain MissingParameter otherwise.
    `optional`: dotted paths of members api.json requires that this action does not
    (registry.action's `optional`), such as BatchSendEmail's Template.TemplateData.
    """
    return _object(input_fields(action), params, "", missing_codes, optional)


def _join(prefix: str, name: str | int) -> str:
    return f"{prefix}.{name}" if prefix else str(name)


def _shape(path: str) -> str:
    """The dotted path without list indices (Datas.3.Email -> Datas.Email)."""
    return ".".join(part for part in path.split(".") if not part.isdigit())


def _object(
    fields: tuple[Field, ...],
    value: Any,
    path: str,
    missing_codes: Mapping[str, str] | None = None,
    optional: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_parameter(f"The parameter `{path}` must be an object.")
    known = {f.name for f in fields}
    for name in value:
        if name not in known:
            raise unknown_parameter(_join(path, name))
    cleaned: dict[str, Any] = {}
    for f in fields:
        item = value.get(f.name)
        # The SDK leaves unset fields out; other clients send null for them.
        if item is None:
            if f.required and _shape(_join(path, f.name)) not in optional:
                raise missing_parameter(
                    _join(path, f.name), (missing_codes or {}).get(f.name, "MissingParameter")
                )
            continue
        cleaned[f.name] = _field(f, item, _join(path, f.name), optional)
    return cleaned


def _field(f: Field, value: Any, path: str, optional: frozenset[str] = frozenset()) -> Any:
    if f.type == "list":
        if not isinstance(value, list):
            raise invalid_parameter(f"The parameter `{path}` must be an array.")
        return [_element(f.member, item, _join(path, i), optional) for i, item in enumerate(value)]
    return _element(f.member, value, path, optional)


def _text(value: str, path: str) -> str:
    # JSON can carry what no database column stores (NUL, lone surrogates);
    # refusing it here keeps it from surfacing later as an InternalError.
    if "\x00" in value:
        raise invalid_parameter_value(f"The parameter `{path}` must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise invalid_parameter_value(f"The parameter `{path}` is not valid Unicode text.") from exc
    return value


def _element(member: str, value: Any, path: str, optional: frozenset[str] = frozenset()) -> Any:
    if member not in SCALAR_MEMBERS:
        return _object(load().objects[member], value, path, None, optional)
    kind = SCALAR_MEMBERS[member]
    if kind == "string":
        if isinstance(value, str):
            return _text(value, path)
        # Some fields are typed string but carry numbers (for example
        # ListAddressUnsubscribeConfig.Limit), and clients send ints there.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise invalid_parameter(f"The parameter `{path}` must be a string.")
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid_parameter(f"The parameter `{path}` must be an integer.")
        low, high = INT_RANGES[member]
        if not low <= value <= high:
            raise invalid_parameter_value(
                f"The parameter `{path}` must be an integer from {low} to {high}."
            )
        return value
    if not isinstance(value, bool):
        raise invalid_parameter(f"The parameter `{path}` must be a boolean.")
    return value


# --- GET: flattened query parameters ----------------------------------------------


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Rebuild nested params from `a.0.b=v` keys (the SDK's GET flattening).

    A level whose keys are all numbers becomes a list; its indices must run
    0..n-1, as the SDK writes them.
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.split(".", MAX_KEY_DEPTH)
        if len(parts) > MAX_KEY_DEPTH:
            raise invalid_parameter_value(
                f"The query parameter `{'.'.join(parts[:3])}...` is nested more than "
                f"{MAX_KEY_DEPTH} levels deep."
            )
        if "" in parts:
            raise invalid_parameter(f"The query parameter `{key}` is malformed.")
        node = root
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise invalid_parameter(
                    f"The parameter `{'.'.join(parts[: depth + 1])}` is given both as a value "
                    "and as a structure."
                )
            node = child
        if parts[-1] in node:
            raise invalid_parameter(f"The parameter `{key}` is given more than once.")
        node[parts[-1]] = value
    return {name: _listify(child, name) for name, child in root.items()}


def _listify(node: Any, path: str) -> Any:
    if not isinstance(node, dict):
        return node
    node = {name: _listify(child, _join(path, name)) for name, child in node.items()}
    if not all(name.isascii() and name.isdigit() for name in node):
        return node
    if set(node) != {str(i) for i in range(len(node))}:
        raise invalid_parameter(f"The indices of `{path}` must run from 0 without gaps.")
    return [node[str(i)] for i in range(len(node))]


def coerce(action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Turn GET's string values into the declared ints and bools.

    Values that do not convert stay strings, so that `validate` names them.
    """
    coerced: dict[str, Any] = _coerce_object(input_fields(action), params)
    return coerced


def _coerce_object(fields: tuple[Field, ...], value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    by_name = {f.name: f for f in fields}
    return {
        name: _coerce_field(by_name[name], item) if name in by_name else item
        for name, item in value.items()
    }


def _coerce_field(f: Field, value: Any) -> Any:
    if f.type == "list":
        if not isinstance(value, list):
            return value
        return [_coerce_element(f.member, item) for item in value]
    return _coerce_element(f.member, value)


def _coerce_element(member: str, value: Any) -> Any:
    if member not in SCALAR_MEMBERS:
        return _coerce_object(load().objects[member], value)
    if not isinstance(value, str):
        return value
    kind = SCALAR_MEMBERS[member]
    if kind == "int" and _INT_TEXT.fullmatch(value):
        return int(value)
    if kind == "bool":
        # The SDK writes Python's str(True); other clients write true/1.
        return {"true": True, "1": True, "false": False, "0": False}.get(value.lower(), value)
    return value


def parse_query(action: str, query_string: str) -> dict[str, Any]:
    """Params of a GET request: parse, un-flatten and coerce its query string."""
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise invalid_parameter("The query string is not valid UTF-8 form encoding.") from exc
    return coerce(action, unflatten(pairs))
