"""Workbench's own schemata written as standard FollowTheMoney, and read back.

FollowTheMoney's own tools (``ftm validate``, ``ftm aggregate``, ``ftm export-gexf``, Aleph,
yente) load FtM's model only, so an entity of a schema Workbench added (``Shipment``,
``EndUseDocument``) stops them. For them each such entity is written as the nearest standard
schema, with nothing dropped:

* ``Shipment`` → ``EconomicActivity`` (FtM's customs trade record): exporter → ``sender``,
  consignee → ``receiver``, vessel → ``transport``, HS code → ``vedCode`` (FtM's commodity code),
  amount → ``invoiceAmount``; goods, countries of origin and destination, dates and the common
  interval properties keep their names.
* ``EndUseDocument`` → ``Document``: document number → ``title`` (with the stated end use), date
  → ``date``, stated destination → ``country``, stated end use → ``summary``; its issuer and
  stated end user become ``Documentation`` links (role ``issuer``, ``stated end user``) from the
  document to those parties, so graph tools draw them.
* Every other value (forwarder, notify party, declared end user, carrier, quantity, transit
  countries, bill of lading, currency, the shipment a document covers...) is written into
  ``description`` as a ``Label: value`` line, a party as its name and id; the parties' names also
  go into ``namesMentioned``, so a search for them finds the shipment.

The original schema and properties ride along in the entity's ``workbench`` context key (FtM
keeps unknown top-level keys and its tools pass them through), so Workbench's own ``ftm-json``
importer restores the entity exactly; the ``Documentation`` links made here carry
``{"workbench": {"derived_from": ...}}`` and are not imported back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from followthemoney.types import registry

from workbench.model import WORKBENCH_SCHEMATA, model

#: Context key holding what a standard entity stands for: ``{"schema", "properties"}`` or ``{"derived_from"}``.
CONTEXT_KEY = "workbench"

#: Workbench schema -> (standard schema, {workbench property: standard property}).
STANDARD_FORM: dict[str, tuple[str, dict[str, str]]] = {
    "Shipment": (
        "EconomicActivity",
        {
            "exporter": "sender",
            "consignee": "receiver",
            "vessel": "transport",
            "hsCode": "vedCode",
            "amount": "invoiceAmount",
        },
    ),
    "EndUseDocument": (
        "Document",
        {
            "destinationCountry": "country",
            "endUse": "summary",
            "startDate": "date",
        },
    ),
}

#: Entity properties of a workbench schema written as Documentation links (property -> role).
DOCUMENTATION_LINKS = {"EndUseDocument": {"issuer": "issuer", "statedEndUser": "stated end user"}}


def needs_standard_form(schema_name: str) -> bool:
    return schema_name in WORKBENCH_SCHEMATA


def standard_form(data: dict[str, Any], name_of: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """``data`` (an entity dict of a Workbench schema) as standard FtM entity dicts.

    The first is the entity itself under its standard schema; any after it are the
    ``Documentation`` links made for it. ``name_of`` gives the name of a referenced entity (or
    ``None``) for the description lines.
    """
    schema = model.get(data["schema"])
    target_name, renames = STANDARD_FORM[schema.name]
    target = model.get(target_name)
    properties: dict[str, list[str]] = data.get("properties") or {}
    links = DOCUMENTATION_LINKS.get(schema.name, {})
    out: dict[str, list[str]] = {}
    lines: list[str] = []
    mentioned: list[str] = []

    def add(prop: str, values: list[str]) -> None:
        bucket = out.setdefault(prop, [])
        bucket.extend(value for value in values if value not in bucket)

    for prop_name, values in properties.items():
        prop = schema.get(prop_name)
        if prop is None or not values:
            continue
        if prop_name in links:
            continue  # written as Documentation links below
        target_prop = target.get(renames.get(prop_name, prop_name))
        if target_prop is not None and not target_prop.stub and _fits(prop, target_prop):
            add(target_prop.name, values)
            continue
        if prop.type == registry.entity:
            shown = []
            for value in values:
                name = name_of(value)
                shown.append(f"{name} ({value})" if name else value)
                if name:
                    mentioned.append(name)
            lines.append(f"{prop.label}: {'; '.join(shown)}")
        else:
            lines.append(f"{prop.label}: {'; '.join(values)}")
    if schema.name == "EndUseDocument":
        number = properties.get("documentNumber") or []
        title = f"End-use document {number[0]}" if number else "End-use document"
        add("title", [title])
    if schema.name == "Shipment" and properties.get("currency") and out.get("invoiceAmount"):
        # FtM's invoiceAmount is text: say the currency with the number, as customs records do.
        out["invoiceAmount"] = [f"{amount} {properties['currency'][0]}" for amount in out["invoiceAmount"]]
    if lines:
        description = out.pop("description", [])
        out["description"] = ["\n".join([*description, *lines])] if description else ["\n".join(lines)]
    if mentioned and target.get("namesMentioned") is not None:
        add("namesMentioned", list(dict.fromkeys(mentioned)))
    entity = {key: value for key, value in data.items() if key not in ("schema", "properties")}
    entity.update(
        schema=target.name,
        properties=out,
        **{CONTEXT_KEY: {"schema": schema.name, "properties": properties}},
    )
    result = [entity]
    for prop_name, role in links.items():
        for number, party in enumerate(properties.get(prop_name) or [], start=1):
            link_id = f"{data['id']}-{prop_name}-{number}"
            result.append({
                "id": link_id,
                "schema": "Documentation",
                "properties": {"document": [data["id"]], "entity": [party], "role": [role]},
                CONTEXT_KEY: {"derived_from": data["id"]},
                **{key: data[key] for key in ("datasets", "first_seen", "last_seen") if key in data},
            })
    return result


def _fits(prop, target_prop) -> bool:
    """Whether values of ``prop`` can go into ``target_prop`` as they are."""
    if target_prop.type == prop.type:
        if prop.type == registry.entity:
            return target_prop.range is not None and prop.range is not None and (
                prop.range == target_prop.range or prop.range.is_a(target_prop.range.name))
        return True
    # Numbers and identifiers into FtM's text-typed fields (invoiceAmount is a string).
    return target_prop.type == registry.string and prop.type in (registry.number, registry.identifier,
                                                                 registry.string)


def workbench_form(data: dict[str, Any]) -> dict[str, Any] | None:
    """The Workbench entity a standard one stands for; ``None`` for a link made only for FtM's tools.

    An entity without the context key is returned as it is.
    """
    context = data.get(CONTEXT_KEY)
    if not isinstance(context, dict):
        return data
    if context.get("derived_from"):
        return None
    schema = context.get("schema")
    properties = context.get("properties")
    if not isinstance(schema, str) or model.get(schema) is None or not isinstance(properties, dict):
        return data
    restored = {key: value for key, value in data.items() if key != CONTEXT_KEY}
    restored.update(schema=schema, properties=properties)
    return restored
