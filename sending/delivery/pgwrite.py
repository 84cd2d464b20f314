"""Recording an outcome on PostgreSQL in one statement.

Each delivery's result is written the moment its server answers, so a worker
that dies loses nothing it was told. On the ORM that is four round trips
(UPDATE, two INSERTs, COMMIT) and the statements' compilation, more than the
SMTP transaction itself. On PostgreSQL the same writes fit one statement of
data-modifying CTEs, atomic on its own: the Attempt and Event rows are
inserted only for the Delivery row the conditional UPDATE actually changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from sending.models import Attempt, Delivery, Event


def _field(model: type[Model], name: str) -> tuple[Field[Any, Any], str]:
    """The field `name` of `model` and its quoted column: a column, not the other side of
    a relation."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field, connection.ops.quote_name(field.column)


def _cast(field: Field[Any, Any]) -> str | None:
    return field.db_type(connection)


def _values(
    model: type[Model], objects: Sequence[Model], names: list[str]
) -> tuple[str, list[Any], list[str]]:
    """A typed VALUES list of `objects`' fields `names`: (sql, params, quoted column names)."""
    fields = [_field(model, name) for name in names]
    row = "(" + ", ".join(f"%s::{_cast(f)}" for f, _ in fields) + ")"
    params: list[Any] = []
    for obj in objects:
        params += [f.get_db_prep_save(getattr(obj, f.attname), connection) for f, _ in fields]
    columns = [column for _, column in fields]
    return ", ".join([row] * len(objects)), params, columns


def write_outcome(
    pk: int, token: str, fields: dict[str, Any], attempts: list[Attempt], events: list[Event]
) -> bool:
    """Update the claimed Delivery `pk` with `fields` and add its Attempt and Event rows.

    False (and nothing written) when the claim is no longer this token's.
    """
    qn = connection.ops.quote_name
    delivery = Delivery._meta
    sets: list[str] = []
    params: list[Any] = []
    for name, value in fields.items():
        field, column = _field(Delivery, name)
        sets.append(f"{column} = %s")
        params.append(field.get_db_prep_save(value, connection))
    # Identifiers come from the models, every value is a parameter.
    where = f"{qn('id')} = %s AND {qn('claim_token')} = %s AND {qn('status')} = 'sending'"
    sets_sql = ", ".join(sets)
    table = qn(delivery.db_table)
    sql = [f"WITH d AS (UPDATE {table} SET {sets_sql} WHERE {where} RETURNING id)"]  # noqa: S608
    params += [pk, token]
    for alias, model, objects in (("a", Attempt, attempts), ("e", Event, events)):
        names = [
            f.name
            for f in model._meta.concrete_fields
            if not f.primary_key and f.name != "delivery"
        ]
        values, value_params, columns = _values(model, objects, names)
        target = f"{qn(model._meta.db_table)} ({qn('delivery_id')}, {', '.join(columns)})"
        rows = f"SELECT d.id, v.* FROM d CROSS JOIN (VALUES {values}) AS v"  # noqa: S608
        sql.append(f", {alias} AS (INSERT INTO {target} {rows})")
        params += value_params
    sql.append(" SELECT count(*) FROM d")
    with connection.cursor() as cursor:
        cursor.execute("".join(sql), params)
        count: int = cursor.fetchone()[0]
        return count == 1
