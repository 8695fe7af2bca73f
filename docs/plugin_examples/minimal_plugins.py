"""A minimal importer and detector, as a plugin author would write them.

Drop this file in your plugin folder (``workbench plugins`` prints where that is) and both
plugins appear. Workbench's tests load this very file, so the example cannot rot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from workbench.model import Record, make_entity
from workbench.plugin_api import CaseReader, Detector, Importer, Parameter, SourceFormatError


class WatchlistImporter(Importer):
    """A plain text watch list: one party per line, ``Name | country``."""

    id = "example-watchlist"
    label = "Watch list (one name per line)"
    version = "1.0"
    description = "Names an analyst keeps an eye on, as persons of interest."
    file_patterns = ("*.watchlist.txt",)
    topics = ("poi",)

    def read(self, path: Path) -> Iterator[Record]:
        with Path(path).open(encoding="utf-8") as handle:
            for line_number, line in enumerate(handle, start=1):
                if not line.strip() or line.startswith("#"):
                    continue
                name, _, country = (part.strip() for part in line.partition("|"))
                if not name:
                    raise SourceFormatError(f"{Path(path).name} line {line_number}: expected 'Name | country'")
                party = make_entity("LegalEntity")
                party.make_id("watchlist", name, country)  # stable ids: re-imports add nothing new
                party.add("name", name)
                party.add("country", country, quiet=True)
                party.add("topics", "poi")
                yield Record(party.to_dict(), locator=f"{Path(path).name} line {line_number}")


class RoundAmountDetector(Detector):
    """Payments of suspiciously round amounts."""

    id = "example-round-amounts"
    label = "Round-amount payments"
    version = "1.0"
    description = "Payments whose amount is a multiple of a round figure."
    severity = "low"
    reference = "Example only; not a published indicator"
    parameters = {
        "multiple": Parameter(default=10_000, minimum=1, help="flag amounts that are multiples of this"),
    }

    def run(self, case: CaseReader) -> Iterator[dict]:
        multiple = self.options["multiple"]
        # Every payment at once, read in bulk and shared with the other detectors.
        for payment in case.snapshot().of_schema("Payment"):
            for amount in payment.get("amount"):
                value = float(amount)
                if value and value % multiple == 0:
                    yield {
                        "entities": payment.get("payer") + payment.get("beneficiary"),
                        "evidence": [payment.id],
                        "score": 0.3,
                        "explanation": f"Payment {payment.id} is exactly {value:,.0f}, a multiple of {multiple:,}.",
                    }
