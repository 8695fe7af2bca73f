"""Colours of entity and link types, without Qt, so exported charts (GEXF, reports) match the screen."""

from __future__ import annotations

from workbench.model import model

NODE_COLOURS = {
    "Person": "#2563eb",
    "Company": "#ea580c",
    "Organization": "#9333ea",
    "LegalEntity": "#64748b",
    "PublicBody": "#0d9488",
    "BankAccount": "#16a34a",
    "Vessel": "#0891b2",
    "Airplane": "#0891b2",
    "Address": "#a16207",
    "Sanction": "#dc2626",
    "EndUseDocument": "#b45309",
}
LINK_COLOURS = {
    "Ownership": "#2563eb",
    "Payment": "#16a34a",
    "Shipment": "#ea580c",
    "Directorship": "#9333ea",
    "Sanction": "#dc2626",
    "UnknownLink": "#64748b",
}
DEFAULT_NODE_COLOUR = "#475569"
DEFAULT_LINK_COLOUR = "#94a3b8"
COLOUR_FAMILIES = ("Person", "Company", "Organization", "BankAccount", "Vessel", "LegalEntity")


def family(schema: str) -> str:
    """The broad type whose colour a schema takes (a PublicBody is drawn as an Organization...)."""
    found = model.get(schema)
    if found is None:
        return schema
    for name in COLOUR_FAMILIES:
        if found.is_a(name):
            return name
    return schema


def node_colour_hex(schema: str) -> str:
    return NODE_COLOURS.get(schema) or NODE_COLOURS.get(family(schema)) or DEFAULT_NODE_COLOUR


def link_colour_hex(schema: str) -> str:
    return LINK_COLOURS.get(schema, DEFAULT_LINK_COLOUR)
