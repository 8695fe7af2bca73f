"""The chart's colours stay apart to colour-blind eyes, measured rather than eyeballed.

Each pair of colours that a reader must tell apart on one chart (two entity types, two link
types, an entity type and a link type, the evidence highlight, the selection halo) is passed
through the Machado 2009 simulation of deuteranopia and protanopia and compared with
CIEDE2000. About 2 is a just-noticeable difference; 8.5 is plainly another colour.
"""

import itertools

import numpy as np
import pytest

from workbench.colour_vision import (
    delta_e_2000,
    hex_to_rgb,
    pairwise_differences,
    seen_difference,
    simulate,
)
from workbench.palette import (
    DEFAULT_LINK_COLOUR,
    DEFAULT_NODE_COLOUR,
    HIGHLIGHT_COLOUR,
    LINK_COLOURS,
    NODE_COLOURS,
    SELECTION_COLOUR,
    WEAK_LINK_ALPHA,
    link_colour_hex,
    node_colour_hex,
)

VISIONS = ("normal", "deuteranopia", "protanopia")
SOLID_MINIMUM = 8.5
#: Weak links are dashed as well as lighter, so their colours may come a little closer.
WEAK_MINIMUM = {"normal": 8.5, "deuteranopia": 4.0, "protanopia": 8.5}


def chart_colours() -> dict[str, str]:
    """Every colour a chart can show side by side, one entry per distinct colour and role."""
    colours = {f"entity {name}": colour for name, colour in NODE_COLOURS.items()}
    colours["entity of unknown type"] = DEFAULT_NODE_COLOUR
    colours.update({f"link {name}": colour for name, colour in LINK_COLOURS.items()})
    colours["link of another type"] = DEFAULT_LINK_COLOUR
    colours["selection"] = SELECTION_COLOUR
    colours["highlight"] = HIGHLIGHT_COLOUR
    return colours


def over_white(colour: str, alpha: int) -> str:
    """The colour a translucent pen leaves on the white chart."""
    rgb = hex_to_rgb([colour])[0] * alpha / 255 + (1 - alpha / 255)
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def closest_pair(colours: dict[str, str], vision: str) -> tuple[float, str, str]:
    # Roles that share a colour on purpose (an airplane drawn as a vessel, an unknown link and
    # any other relationship) are one key of the legend, not two colours to tell apart.
    distinct = {}
    for role, colour in colours.items():
        distinct.setdefault(colour.lower(), role)
    names, values = list(distinct.values()), list(distinct)
    matrix = pairwise_differences(values, vision)
    return min((float(matrix[i, j]), names[i], names[j]) for i, j in itertools.combinations(range(len(values)), 2))


# Sharma, Wu and Dalal (2005), the reference pairs for CIEDE2000 implementations.
@pytest.mark.parametrize("lab1, lab2, expected", [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
])
def test_colour_difference_matches_the_published_reference_pairs(lab1, lab2, expected):
    assert delta_e_2000(np.array([lab1]), np.array([lab2]))[0] == pytest.approx(expected, abs=1e-4)


def test_dichromat_simulation_keeps_grey_and_merges_red_with_green():
    grey = hex_to_rgb(["#777777"])
    for vision in ("deuteranopia", "protanopia"):
        assert simulate(grey, vision) == pytest.approx(grey, abs=0.01)
    # The classic confusion: a red and a green that differ plainly to normal eyes.
    assert seen_difference("#d62728", "#2ca02c") > 40
    assert seen_difference("#cc6600", "#669900", "deuteranopia") < 8


@pytest.mark.parametrize("vision", VISIONS)
def test_every_colour_on_a_chart_is_told_apart_from_every_other(vision):
    distance, first, second = closest_pair(chart_colours(), vision)
    assert distance >= SOLID_MINIMUM, f"{first} and {second}: CIEDE2000 {distance:.1f} for {vision}"


@pytest.mark.parametrize("vision", VISIONS)
def test_weak_links_of_different_types_are_told_apart(vision):
    weak = {f"weak {name}": over_white(colour, WEAK_LINK_ALPHA) for name, colour in LINK_COLOURS.items()}
    distance, first, second = closest_pair(weak, vision)
    assert distance >= WEAK_MINIMUM[vision], f"{first} and {second}: CIEDE2000 {distance:.1f} for {vision}"


def test_no_link_type_wears_an_entity_type_colour():
    entity_colours = {c.lower() for c in NODE_COLOURS.values()} | {DEFAULT_NODE_COLOUR.lower()}
    for name in list(LINK_COLOURS) + ["Membership", "Family"]:
        assert link_colour_hex(name).lower() not in entity_colours, name


def test_subtypes_take_their_family_colour():
    assert node_colour_hex("PublicBody") == NODE_COLOURS["Organization"]
    assert node_colour_hex("Airplane") == node_colour_hex("Vessel")
