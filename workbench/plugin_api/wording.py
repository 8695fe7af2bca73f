"""How a finding's explanation names things: as the analyst sees them on the chart, not by internal id.

An id such as ``demo-shp-01-rheinfeld-atlas-crest`` means nothing to the reader of a report;
the shipment's caption ("DDR4 SDRAM memory ICs, 16 Gbit") does. Detectors name the facts they
cite (shipments, payments, documents, ownerships) through :func:`mention`, so the findings panel,
``workbench findings`` and the report all read the same words. The id is the last resort, for
an entity the case records nothing readable about. Sums of money (:func:`money`), lists of
names (:func:`listing`) and cut-short captions (:func:`shorten`) are written here once, for the
detectors, the command line and the app alike.

Works on anything with the read side of an FtM proxy: ``id``, ``schema``, ``caption``,
``get(prop)``, ``first(prop)`` (an ``EntityProxy`` or the store's ``EntityFacts``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Properties that carry a figure worth naming an entity by when it has no caption of its own.
_SHARE_PROPS = ("percentage",)
_DATE_PROPS = ("date", "startDate")


def own_caption(entity: Any) -> str | None:
    """The entity's caption when it is one of its own recorded values, else ``None``.

    FtM falls back to the type's label ("Ownership") when none of the caption properties is
    set, and a Payment's caption is its bare amount ("310000"): neither names anything.
    """
    caption = (entity.caption or "").strip()
    if not caption or caption == entity.schema.label:
        return None
    for name in entity.schema.caption:
        if entity.get(name, quiet=True):
            # The caption comes from the first caption property with a value.
            return None if entity.schema.properties[name].type.name == "number" else caption
    return caption


def money(amount: str | float | None, currency: str | None, *, no_currency: str = "") -> str:
    """``USD 310,000``, ``EUR 1,250.50``; the amount as recorded when it is not a number; ``""``
    without one. Without a currency the figure alone, followed by ``no_currency`` if given
    (``"12,000 (no currency given)"``)."""
    if amount in (None, ""):
        return ""
    try:
        number = float(amount)
        figure = f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"
    except (TypeError, ValueError):
        figure = str(amount)
    if currency:
        return f"{currency.upper()} {figure}"
    return f"{figure} {no_currency}" if no_currency else figure


def listing(items: Iterable[str], word: str = "and", *, limit: int | None = None) -> str:
    """``"A, B and C"`` (or ``"A, B or C"`` with ``word="or"``); ``""`` for none.

    With ``limit``, a longer list names its first ``limit - 1`` items: ``"A, B, C and 4 more"``.
    """
    items = list(items)
    if limit is not None and len(items) > limit:
        shown = items[: limit - 1]
        return ", ".join(shown) + f" {word} {len(items) - len(shown)} more"
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, the last of them ``…`` where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: str) -> str:
    """A description in quotes (it is several words), a code or a number as it is."""
    return f"'{text}'" if " " in text.strip() else text


def mention(entity: Any, *, kind: bool = True) -> str:
    """How an explanation names a fact: ``shipment 'DDR4 SDRAM memory ICs, 16 Gbit'``,
    ``end-use document ACGT-EUC-2023-007``, ``payment of USD 310,000 on 2023-02-20``,
    ``ownership of 25% from 2023-04-11``.

    With ``kind=False`` the type's word is left out (for a sentence that already says
    "shipment" and gives its date): the caption alone, or the id when there is none.
    Otherwise an entity with no caption of its own is described by its amount or share and
    its date; only an entity the case records nothing readable about is named by its id.
    """
    word = entity.schema.label.lower()
    caption = own_caption(entity)
    if caption is not None:
        return f"{word} {quoted(caption)}" if kind else quoted(caption)
    if not kind:
        return entity.id
    parts = []
    figure = money(entity.first("amount", quiet=True), entity.first("currency", quiet=True)) \
        if "amount" in entity.schema.properties else ""
    for prop in _SHARE_PROPS:
        value = entity.first(prop, quiet=True) if prop in entity.schema.properties else None
        if value and not figure:
            figure = value if value.endswith("%") else f"{value}%"
    if figure:
        parts.append(f"of {figure}")
    for prop in _DATE_PROPS:
        value = entity.first(prop, quiet=True) if prop in entity.schema.properties else None
        if value:
            parts.append(f"{'on' if prop == 'date' else 'from'} {value}")
            break
    return " ".join([word, *parts]) if parts else f"{word} {entity.id}"


__all__ = ["listing", "mention", "money", "own_caption", "quoted", "shorten"]
