"""What a family of detectors shares: one view of the case per run, one setup step, country parameters.

The built-in detector modules each hold a family (goods and destinations, sanctions and
networks) whose members read the same facts the same way. :class:`DetectorFamily` is their
base: a member declares its manifest as any detector does, turns its checked options into what
it needs in :meth:`DetectorFamily.prepare`, and yields findings from
:meth:`DetectorFamily.check`, which receives the family's view of the case (a
:class:`CaseFacts`, or the family's subclass of it, made once per run) rather than the case.

A third party's detector may use it too; a plain :class:`~workbench.plugin_api.Detector` works
as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from followthemoney.types import registry

from workbench.plugin_api.base import Detector, Parameter, ParameterError
from workbench.plugin_api.case_reader import CaseReader, EntityFacts
from workbench.plugin_api.wording import mention
from workbench.reference import column, table


def split_list(value: str) -> list[str]:
    """A comma-separated parameter as its trimmed, non-empty items."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def country_set(name: str, spec: str) -> frozenset[str]:
    """Countries named by parameter ``name``: ISO 3166 alpha-2 codes and/or reference table names.

    ``"high_risk_jurisdictions"`` is every country of that table; ``"ru,by"`` just those two;
    ``"transshipment_countries,ir"`` the table plus Iran. An empty value is the empty set.
    """
    countries: set[str] = set()
    for item in split_list(spec):
        if len(item) == 2 and item.isalpha():
            countries.add(item.lower())
            continue
        try:
            countries |= {code.lower() for code in column(item.lower(), "country")}
        except (FileNotFoundError, KeyError) as error:
            raise ParameterError(
                f"parameter {name!r}: {item!r} is neither an ISO country code nor a reference table"
                f" with a 'country' column ({error})"
            ) from error
    return frozenset(countries)


def table_parameters(items: str, table: str, column: str) -> dict[str, Parameter]:
    """The two parameters of a list read from a reference table: ``<items>_table``, the table
    (``table`` by default; empty for none), and ``extra_<items>``, more items typed in.
    :meth:`DetectorFamily.table_items` reads them."""
    return {
        f"{items}_table": Parameter(default=table, help=f"reference table with a {column!r} column; empty for none"),
        f"extra_{items}": Parameter(default="", help=f"more {items}, comma-separated"),
    }


def country_name(code: str) -> str:
    """A country's name in English (``"ru"`` -> ``"Russia"``), or its code when FtM knows none."""
    return registry.country.caption(code) or code.upper()


class CaseFacts:
    """One detector run's view of the case: its shared snapshot of facts, looked up by id and named."""

    def __init__(self, case: CaseReader):
        self.case = case
        self.facts = case.snapshot()

    def get(self, entity_id: str) -> EntityFacts | None:
        return self.facts.get(entity_id)

    def caption(self, entity_id: str) -> str:
        """The entity's caption; its id when it has none or is not in the case."""
        entity = self.get(entity_id)
        return entity.caption if entity is not None and entity.caption else entity_id

    def fact_name(self, entity_id: str, *, kind: bool = False) -> str:
        """A shipment, payment or document as an explanation names it (its caption, not its id)."""
        entity = self.get(entity_id)
        return mention(entity, kind=kind) if entity is not None else entity_id


class DetectorFamily(Detector):
    """The base of a family of detectors (it has no id, so discovery does not list it)."""

    version = "1.0"
    #: What :meth:`check` receives: the family's view of the case, made once per run.
    view_class: ClassVar[type[CaseFacts]] = CaseFacts

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.prepare()

    def prepare(self) -> None:
        """Make what :meth:`check` needs from ``self.options`` (country sets, patterns, dates),
        raising :class:`ParameterError` for a value that cannot be used. Nothing by default."""

    def country_option(self, parameter: str) -> frozenset[str]:
        """The countries that country parameter ``parameter`` names (see :func:`country_set`)."""
        return country_set(parameter, self.options[parameter])

    def table_items(self, items: str, column: str) -> list[str]:
        """The items of a list declared with :func:`table_parameters`: the table's (its ``column``),
        then the extras, each once."""
        found: list[str] = []
        name = self.options[f"{items}_table"].strip()
        if name:
            try:
                found = [row[column].strip() for row in table(name) if row.get(column)]
            except (FileNotFoundError, KeyError) as error:
                raise ParameterError(f"parameter '{items}_table': {error}") from error
        return list(dict.fromkeys(found + split_list(self.options[f"extra_{items}"])))

    def run(self, case: CaseReader) -> Iterator[dict[str, Any]]:
        yield from self.check(self.view_class(case))

    def check(self, view: Any) -> Iterator[dict[str, Any]]:
        """Yield this detector's findings from ``view`` (see :class:`~workbench.plugin_api.Detector`)."""
        raise NotImplementedError


__all__ = ["CaseFacts", "DetectorFamily", "country_name", "country_set", "split_list", "table_parameters"]
