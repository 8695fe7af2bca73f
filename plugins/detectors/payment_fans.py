"""Fan-in and fan-out detectors (issue 15), not yet registered as plugins.

On IBM's AMLSim 20K_fanin200 sample fan-in named 431 accounts at precision 1.00, recall 0.45
(bench_detectors --amlsim, when registered), but on the training scenarios' backgrounds it raised
10 false alarms (tests/training/test_generator.py allows about 5), so it is kept out of
``workbench detect`` until that is tuned. The classes are complete detectors: register them by
importing them into a plugin module (or a user plugin folder) to use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from collections import defaultdict

from workbench.plugin_api import Parameter
from workbench_plugins.detectors.payments_contact import (
    _everyday_amounts,
    _FamilyDetector,
    _listing,
    _money,
    _Parties,
    _Transfer,
    _transfers,
)


# ---------------------------------------------------------------------------------------- fan-in, fan-out


class _FanDetector(_FamilyDetector):
    """Shared by fan-in and fan-out: one hub, many counterparties, sums alike and out of the hub's way.

    ``incoming`` says which side the hub is on: fan-in's hub receives, fan-out's hub pays.
    """

    incoming = True
    parameters = {
        "min_counterparties": Parameter(default=3, minimum=2, maximum=1000,
                                        help="fewest distinct counterparties paying (or paid by) the hub"),
        "amount_spread": Parameter(default=0.5, minimum=0.0, maximum=10.0,
                                   help="the largest of the sums at most this share above the smallest"),
        "stand_out": Parameter(default=10.0, minimum=1.0, maximum=1000.0,
                               help="the hub's other payments in (or out) are typically at least this many "
                                    "times larger or smaller (when it has at least 3; 1: no comparison)"),
        "everyday_match": Parameter(default=0.02, minimum=0.0, maximum=0.5,
                                    help="a payment whose payer paid another party within this share of the same "
                                         "sum is an everyday payment, not one sent for this (0: every payment counts)"),
        "window_days": Parameter(default=365, minimum=0, maximum=3650,
                                 help="days from the first payment of the fan to the last"),
    }

    def findings(self, case: Any) -> Iterator[dict[str, Any]]:
        options = self.options
        transfers = _transfers(case)
        everyday = _everyday_amounts(transfers, options["everyday_match"]) if self.incoming else set()
        if not self.incoming and options["everyday_match"] > 0:
            everyday = self._everyday_received(transfers, options["everyday_match"])
        by_hub: dict[tuple[str, str], list[_Transfer]] = defaultdict(list)
        everything: dict[tuple[str, str], list[_Transfer]] = defaultdict(list)
        for index, transfer in enumerate(transfers):
            hub = transfer.beneficiary if self.incoming else transfer.payer
            everything[(hub, transfer.currency)].append(transfer)
            if index not in everyday:
                by_hub[(hub, transfer.currency)].append(transfer)
        parties = _Parties(case)
        window = timedelta(days=options["window_days"])
        found = []
        for (hub, currency), items in sorted(by_hub.items()):
            other = self._other_side
            if len({other(t) for t in items}) < options["min_counterparties"]:
                continue
            best = self._best_group(items, window, lambda group, key=(hub, currency): self._stands_out(
                group, everything[key]))
            if best is None:
                continue
            group, rest, usual = best
            found.append(self._finding(hub, currency, group, rest, usual, parties))
        found.sort(key=lambda f: (f["details"]["first"], f["evidence"]))
        yield from found

    def _stands_out(self, group: list[_Transfer], everything: list[_Transfer]):
        """``(rest, usual)`` if the group's sums stand out from the hub's other payments, else ``None``."""
        stand_out = self.options["stand_out"]
        members = {self._other_side(t) for t in group}
        rest = sorted(t.amount for t in everything if self._other_side(t) not in members)
        usual = rest[len(rest) // 2] if rest else None
        middle = sorted(t.amount for t in group)[len(group) // 2]
        if stand_out > 1:
            if usual is not None and len(rest) >= 3:
                if middle * stand_out > usual > middle / stand_out:
                    return None
            else:
                # Without other payments to compare with, alike sums may simply be the hub's usual
                # business (AMLSim's background accounts pay everyone the same; the training cases'
                # firms have few payments): a fan needs the hub's usual way to differ.
                return None
        return rest, usual

    def _other_side(self, transfer: _Transfer) -> str:
        return transfer.payer if self.incoming else transfer.beneficiary

    @staticmethod
    def _everyday_received(transfers: list[_Transfer], match: float) -> set[int]:
        """For fan-out: payments whose beneficiary received about the same sum from other payers too."""
        flipped = [_Transfer(t.payment, t.beneficiary, t.payer) for t in transfers]
        return _everyday_amounts(flipped, match)

    def _best_group(self, items: list[_Transfer], window: timedelta, stands_out):
        """The payments of alike sums (within the spread) from the most counterparties, within the window."""
        items = sorted(items, key=lambda t: (t.amount, t.order))
        spread, minimum = self.options["amount_spread"], self.options["min_counterparties"]
        best, best_key = None, None
        low = 0
        for high in range(len(items)):
            while items[low].amount * (1 + spread) < items[high].amount:
                low += 1
            group = items[low:high + 1]
            days = sorted(t.day for t in group)
            if days[-1] - days[0] > window:
                group = self._within(group, window)
            counterparties = {self._other_side(t) for t in group}
            if len(counterparties) < minimum:
                continue
            key = (-len(counterparties), -len(group), group[0].order)
            if best_key is not None and key >= best_key:
                continue
            compared = stands_out(group)
            if compared is not None:
                best, best_key = (group, *compared), key
        return best

    def _within(self, group: list[_Transfer], window: timedelta) -> list[_Transfer]:
        """The largest run of ``group`` (by counterparties) that fits in the window."""
        by_day = sorted(group, key=lambda t: t.order)
        best: list[_Transfer] = []
        start = 0
        for end in range(len(by_day)):
            while by_day[end].day - by_day[start].day > window:
                start += 1
            run = by_day[start:end + 1]
            if len({self._other_side(t) for t in run}) > len({self._other_side(t) for t in best}):
                best = run
        return best

    def _finding(self, hub, currency, group, rest, usual, parties: _Parties):
        group = sorted(group, key=lambda t: t.order)
        counterparties = sorted({self._other_side(t) for t in group})
        amounts = sorted(t.amount for t in group)
        total = sum(amounts)
        shown = [parties.name(p) for p in counterparties[:6]] + (
            [f"{len(counterparties) - 6} more"] if len(counterparties) > 6 else [])
        sums = (_money(amounts[0], currency) if amounts[0] == amounts[-1]
                else f"{_money(amounts[0], currency)} to {amounts[-1]:,.2f}")
        span = f"between {group[0].day.isoformat()} and {group[-1].day.isoformat()}"
        if self.incoming:
            text = (f"{parties.name(hub)} received {len(group)} payments of {sums} from {len(counterparties)} payers "
                    f"({_listing(shown)}) {span}, {_money(total, currency)} in all.")
        else:
            text = (f"{parties.name(hub)} paid {len(counterparties)} beneficiaries ({_listing(shown)}) "
                    f"{len(group)} payments of {sums} {span}, {_money(total, currency)} in all.")
        side = "received" if self.incoming else "paid"
        if usual is not None and len(rest) >= 3:
            text += (f" Its {len(rest)} other payments {side} are typically {_money(usual, currency)}, "
                     f"{max(usual, amounts[len(amounts) // 2]) / max(min(usual, amounts[len(amounts) // 2]), 0.01):.0f} "
                     f"times {'more' if usual > amounts[len(amounts) // 2] else 'less'}.")
        else:
            text += f" The case holds {len(rest) or 'no'} other payment{'s' if len(rest) != 1 else ''} {side} by it to compare."
        if self.options["everyday_match"] > 0:
            text += (" None of these payers paid anyone else about the same sum." if self.incoming else
                     " None of these beneficiaries received about the same sum from anyone else.")
        return {
            "entities": sorted({hub, *counterparties}),
            "evidence": [t.payment.id for t in group],
            "score": round(min(0.9, 0.5 + 0.05 * len(counterparties)), 3),
            "explanation": text,
            "details": {"party": hub, "role": "receiver" if self.incoming else "payer",
                        "counterparties": counterparties, "currency": currency, "amounts": amounts,
                        "total": total, "usual_other_amount": usual, "other_payments": len(rest),
                        "first": group[0].day.isoformat(), "last": group[-1].day.isoformat()},
        }


class FanInDetector(_FanDetector):
    """Many payers sending one party alike sums that are out of its way."""

    id = "fan-in"
    label = "Fan-in: many payers, one receiver"
    version = "1.0"
    description = (
        "One party (the hub) receives payments of alike sums (within the spread) from at least the minimum "
        "number of distinct payers, within the window, where each of those payers paid no one else about the "
        "same sum and the sums stand out from the hub's other receipts (its typical receipt is at least the "
        "given factor larger or smaller). No onward payment is needed (the funnel detector, fan-in-fan-out, "
        "looks for that). Names the hub and its payers."
    )
    severity = "medium"
    reference = "AMLSim fan-in typology; FATF smurfing / structured deposits; redflags.md #17"
    incoming = True


class FanOutDetector(_FanDetector):
    """One payer sending many parties alike sums that are out of its way."""

    id = "fan-out"
    label = "Fan-out: one payer, many beneficiaries"
    version = "1.0"
    description = (
        "One party (the hub) pays alike sums (within the spread) to at least the minimum number of distinct "
        "beneficiaries, within the window, where none of them received about the same sum from anyone else "
        "and the sums stand out from the hub's other payments (its typical payment is at least the given "
        "factor larger or smaller). Names the hub and its beneficiaries."
    )
    severity = "medium"
    reference = "AMLSim fan-out typology; FATF layering through many accounts; redflags.md #17"
    incoming = False
