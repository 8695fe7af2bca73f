"""Colours of entity and link types, without Qt, so exported charts (GEXF, reports) match the screen."""

from __future__ import annotations

from workbench.model import model

# Colour-blind-safe colours from Okabe and Ito (2008) and Paul Tol's sets (bright, vibrant,
# muted, dark, medium-contrast), assigned so that no two colours seen together on a chart (two
# entity types, two link types, an entity type and a link type, the highlight and the
# selection) are closer than CIEDE2000 8.5 to normal, deuteranope or protanope eyes
# (tests/test_palette.py measures it). Links are the darker colours: a 1.6 px line on white
# needs the contrast that a filled icon does not.
NODE_COLOURS = {
    "Person": "#0077bb",  # Tol vibrant blue
    "Company": "#e69f00",  # Okabe-Ito orange
    "Organization": "#aa4499",  # Tol muted purple (public bodies too, by family)
    "LegalEntity": "#bbbbbb",  # Tol grey: a party of no known kind
    "BankAccount": "#44aa99",  # Tol muted teal
    "Vessel": "#56b4e9",  # Okabe-Ito sky blue
    "Airplane": "#56b4e9",  # drawn as a vessel: both are carriers
    "Address": "#666633",  # Tol dark yellow
    "Sanction": "#663333",  # Tol dark red
    "EndUseDocument": "#ddcc77",  # Tol muted sand
}
LINK_COLOURS = {
    "Ownership": "#332288",  # Tol muted indigo
    "Payment": "#009e73",  # Okabe-Ito bluish green
    "Shipment": "#997700",  # Tol medium-contrast dark yellow
    "Directorship": "#882255",  # Tol muted wine
    "Sanction": "#994455",  # Tol medium-contrast dark red
    "UnknownLink": "#777777",
}
#: An entity of no known type (a link's end that was never imported) looks like a legal entity.
DEFAULT_NODE_COLOUR = "#bbbbbb"
#: Every other relationship (family, membership, employment...) is drawn as an unknown link.
DEFAULT_LINK_COLOUR = "#777777"
#: The selected entities' halo and a finding's (or path's) evidence links, drawn over the rest.
SELECTION_COLOUR = "#facc15"
HIGHLIGHT_COLOUR = "#f43f5e"
#: The ring around a party on a sanctions or export-control list.
LISTED_COLOUR = "#dc2626"
#: Opacity of a weak (D-F or 4-6) or ungraded link over the white chart.
WEAK_LINK_ALPHA = 200
#: A collapsed group is a grey diamond ringed in the colour of the worst open finding among its
#: members (Tol vibrant red and orange; no ring below medium), so that severity is never
#: mistaken for an entity type's fill.
GROUP_FILL = "#9ca3af"
GROUP_RINGS = {"high": "#cc3311", "medium": "#ee7733"}
GROUP_SCHEMA = "Group"
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
