"""The entity model: FollowTheMoney, extended with the workbench's own schemata.

FollowTheMoney keeps one model singleton that its own code (proxies, mappings, exports) looks
up through ``Model.instance()``. Rather than keep a second model that FtM's code would not see,
the workbench loads its YAML schemata into that singleton once, so a ``Shipment`` is as much a
FtM schema as a ``Payment`` to every FtM function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from followthemoney import model as _ftm_model
from followthemoney.model import Model
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema

from workbench.model.grading import Grade, parse_grade
from workbench.model.provenance import Record, SourceInfo

WORKBENCH_SCHEMA_DIR = Path(__file__).parent / "schema"
WORKBENCH_SCHEMATA = ("Shipment", "EndUseDocument")


def _extend(model: Model) -> Model:
    if all(name in model.schemata for name in WORKBENCH_SCHEMATA):
        return model
    for path in sorted(WORKBENCH_SCHEMA_DIR.glob("*.yaml")):
        model._load(str(path))
    # generate() is idempotent for existing schemata; it wires the new ones and their reverse
    # properties (e.g. Company.shipmentsExported) into the shared model.
    model.generate()
    return model


model: Model = _extend(_ftm_model)


def get_schema(name: str) -> Schema:
    """Return the schema called ``name`` or raise ``KeyError`` with a readable message."""
    schema = model.get(name)
    if schema is None:
        raise KeyError(f"unknown entity type {name!r}")
    return schema


def make_entity(schema: str, entity_id: str | None = None, **properties: Any) -> EntityProxy:
    """A new FtM entity of the given schema (workbench schemata included).

    ``properties`` are added as ``proxy.add`` would add them (a list adds each value):
    ``make_entity("Payment", "pay-1", payer="a", amount="100")``.
    """
    proxy = model.make_entity(schema)
    if entity_id is not None:
        proxy.id = entity_id
    for prop, values in properties.items():
        proxy.add(prop, values)
    return proxy


__all__ = [
    "EntityProxy",
    "Grade",
    "Record",
    "SourceInfo",
    "Schema",
    "get_schema",
    "make_entity",
    "model",
    "parse_grade",
]
