"""Inserting many rows at once: COPY on PostgreSQL, multi-row INSERTs elsewhere (SQLite).

    bulk.insert(ReceiverAddress, ["receiver_list", "email"], rows, ignore_conflicts=True)
    bulk.create(deliveries)   # like Model.objects.bulk_create, the pks set

A batch writes a million addresses and a million Deliveries a chunk at a time. On
PostgreSQL an INSERT's text, its parameters and the ORM's compilation cost several times
what the rows themselves do; COPY streams them in psycopg's own format instead, so the
work left is the database's.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

from django.db import connection, transaction
from django.db.models import DateField, Field, ForeignKey, Model

# SQLite allows 32,766 parameters a statement; PostgreSQL 65,535.
MAX_PARAMS = 30_000

M = TypeVar("M", bound=Model)


def _fields(model: type[Model], names: Sequence[str]) -> list[Field[Any, Any]]:
    fields: list[Field[Any, Any]] = []
    for name in names:
        field = model._meta.get_field(name)
        assert isinstance(field, Field) and field.column is not None, name
        fields.append(field)
    return fields


def insert(
    model: type[Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> int:
    """INSERT `rows` (values of the fields `names`, in order) into `model`'s table; the
    number of rows inserted (conflicting ones are skipped when `ignore_conflicts`, which
    is how a list keeps each address once)."""
    if not rows:
        return 0
    fields = _fields(model, names)
    if connection.vendor == "postgresql":
        return _copy(model, fields, rows, ignore_conflicts)
    return _insert_values(model, fields, rows, ignore_conflicts)


def create(objs: Iterable[M], batch_size: int = 1000) -> list[M]:
    """Insert new model instances, as Model.objects.bulk_create does (no signals, the
    pks set on the instances); on PostgreSQL their pks are taken from the table's
    sequence first and the rows COPYed in with them."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    assert pk is not None and all(obj.pk is None for obj in objs), model
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(meta.db_table), pk.column, len(objs)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    for obj, pk_value in zip(objs, ids, strict=True):
        obj.pk = pk_value
    fields = [f for f in meta.concrete_fields if f.column is not None]
    rows = _values(fields, objs)
    _copy(model, fields, rows, ignore_conflicts=False)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _values(fields: list[Field[Any, Any]], objs: list[M]) -> list[list[Any]]:
    """Each object's values of `fields`, from pre_save as the ORM's INSERT has them
    (auto_now and the like); read straight from the instance where pre_save only reads."""
    reads = [
        type(field).pre_save is Field.pre_save
        or (isinstance(field, DateField) and not (field.auto_now or field.auto_now_add))
        for field in fields
    ]
    read = attrgetter(*[field.attname for field in fields])
    computed = [(i, field) for i, field in enumerate(fields) if not reads[i]]
    rows = []
    for obj in objs:
        row = list(read(obj)) if len(fields) > 1 else [read(obj)]
        for i, field in computed:
            row[i] = field.pre_save(obj, True)
        rows.append(row)
    return rows


def _insert_values(
    model: type[Model],
    fields: list[Field[Any, Any]],
    rows: Sequence[Sequence[Any]],
    ignore_conflicts: bool,
) -> int:
    """Multi-row INSERT statements, each within the database's parameter limit."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(str(f.column)) for f in fields)
    table = qn(model._meta.db_table)
    per_statement = max(1, MAX_PARAMS // len(fields))
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    inserted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            part = rows[start : start + per_statement]
            params = [
                field.get_db_prep_save(value, connection)
                for row in part
                for field, value in zip(fields, row, strict=True)
            ]
            values = ", ".join([placeholder] * len(part))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}{tail}", params)  # noqa: S608
            inserted += cursor.rowcount
    return inserted


_INTEGERS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)


def _plain_types(field: Field[Any, Any]) -> set[type]:
    """The types of value that go to `field`'s column as they are: what the field's
    get_db_prep_save would return unchanged (aware datetimes are checked apart)."""
    while isinstance(field, ForeignKey):
        field = field.target_field
    kind = field.get_internal_type()
    if kind in ("CharField", "TextField"):
        return {str, type(None)}
    if kind in _INTEGERS:
        return {int, type(None)}
    if kind == "BooleanField":
        return {bool, type(None)}
    if kind == "DateTimeField":
        return {type(None)}
    return set()  # JSON (a str for it is a JSON string, not JSON text), and the rest


def _prepared(fields: list[Field[Any, Any]], rows: Iterable[Sequence[Any]]) -> Iterable[list[Any]]:
    """The rows' values as the database takes them: through get_db_prep_save, as the
    ORM's INSERT sends them, but for values that it would return unchanged."""
    plain = [_plain_types(field) for field in fields]
    moments = [field.get_internal_type() == "DateTimeField" for field in fields]
    for row in rows:
        values = list(row)
        for i, value in enumerate(values):
            kind = type(value)
            if kind in plain[i]:
                continue
            if kind is datetime and moments[i] and value.tzinfo is not None:
                continue
            if str in plain[i] and isinstance(value, str):
                plain[i].add(kind)  # a str subclass (a choice): the ORM sends it as it is
                continue
            values[i] = fields[i].get_db_prep_save(value, connection)
        yield values


def _copy(
    model: type[Model],
    fields: list[Field[Any, Any]],
    rows: Sequence[Sequence[Any]],
    ignore_conflicts: bool,
) -> int:
    """COPY the rows into the table; with `ignore_conflicts`, into a temporary table of
    the same columns first, then INSERT ... SELECT ... ON CONFLICT DO NOTHING from it (COPY
    itself cannot skip a row)."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(str(f.column)) for f in fields)
    # One transaction: the temporary table's rows never outlive the statement using them.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        target = table
        if ignore_conflicts:
            # Per session and shape; emptied at commit, and by us after each use (an
            # outer transaction may insert again before it commits).
            shape = zlib.crc32(f"{table}({columns})".encode())
            target = qn(f"bulk_{model._meta.db_table}_{shape:08x}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {target} ON COMMIT DELETE ROWS AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
        with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for values in _prepared(fields, rows):
                copy.write_row(values)
        if not ignore_conflicts:
            return len(rows)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target} "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        inserted: int = cursor.rowcount
        cursor.execute(f"DELETE FROM {target}")  # noqa: S608
        return inserted
