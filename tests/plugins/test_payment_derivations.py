"""What the payment-pattern detectors derive from every transfer (everyday sums, each link's usual
sum), worked out on numpy columns: the same answers as the plain definitions, written out here
transfer by transfer, on transfers with ties, repeats, several currencies and sums at the edge of
the match."""

import random
from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import date, timedelta

import pytest

from workbench_plugins.detectors import payments_contact as family
from workbench_plugins.detectors.payments_contact import _Payment, _Transfer


def plain_everyday(transfers, match, apart=None, received=False):
    """Indexes of transfers whose payer (``received``: beneficiary) paid (received) about the same
    sum, within ``match``, with two or more other parties, more than ``apart`` away if given."""
    by_account = defaultdict(list)
    for index, t in enumerate(transfers):
        by_account[(t.beneficiary if received else t.payer, t.currency)].append(index)
    everyday = set()
    for indexes in by_account.values():
        indexes.sort(key=lambda i: transfers[i].amount)
        amounts = [transfers[i].amount for i in indexes]
        for position, index in enumerate(indexes):
            amount = amounts[position]
            other = transfers[index].payer if received else transfers[index].beneficiary
            others = set()
            for j in indexes[bisect_left(amounts, amount * (1 - match)):bisect_right(amounts, amount * (1 + match))]:
                counterparty = transfers[j].payer if received else transfers[j].beneficiary
                if counterparty != other and (apart is None or abs(transfers[j].day - transfers[index].day) > apart):
                    others.add(counterparty)
            if len(others) >= 2:
                everyday.add(index)
    return everyday


def plain_typical(transfers, incoming):
    sums = defaultdict(lambda: defaultdict(list))
    for t in transfers:
        party, other = (t.beneficiary, t.payer) if incoming else (t.payer, t.beneficiary)
        sums[(party, t.currency)][other].append(t.amount)
    return {key: {other: family._median(values) for other, values in by_other.items()}
            for key, by_other in sums.items()}


def random_transfers(seed: int, count: int = 3000) -> list[_Transfer]:
    rng = random.Random(seed)
    parties = [f"acct-{n}" for n in range(60)]
    # Few distinct sums, so that many lie exactly at 2% of each other (100 and 102, 98.04 ...).
    sums = [100.0, 102.0, 98.0, 98.04, 104.04, 250.0, 251.0, 5000.0, 4900.0, 0.01, 7.5]
    transfers = []
    for n in range(count):
        payer, beneficiary = rng.sample(parties[: rng.choice([8, 60])], 2)
        amount = rng.choice(sums) if rng.random() < 0.7 else round(rng.uniform(1, 9000), 2)
        payment = _Payment(id=f"pay-{n}", payers=(payer,), beneficiaries=(beneficiary,), amount=amount,
                           currency=rng.choice(["USD", "USD", "EUR", ""]),
                           day=date(2024, 1, 1) + timedelta(days=rng.randrange(120)), text="", purpose="",
                           payer_accounts=())
        transfers.append(_Transfer(payment, payer, beneficiary))
    transfers.sort(key=lambda t: t.order)
    return transfers


@pytest.fixture(autouse=True)
def fresh_caches():
    family.release_caches()
    yield
    family.release_caches()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_everyday_sums_are_those_of_the_plain_definition(seed):
    transfers = random_transfers(seed)
    for match in (0.02, 0.1):
        plain = plain_everyday(transfers, match)
        assert 0 < len(plain) < len(transfers)  # the sample has both kinds
        assert family._everyday_amounts(transfers, match) == plain
        assert family._everyday_received(transfers, match) == plain_everyday(transfers, match, received=True)
        for days in (3, 14):
            apart = timedelta(days=days)
            assert family._everyday_amounts(transfers, match, apart=apart) == plain_everyday(transfers, match, apart)
    assert family._everyday_amounts(transfers, 0) == set()
    assert 5 not in family._everyday_amounts(transfers, 0) and -1 not in family._everyday_amounts(transfers, 0.02)


@pytest.mark.parametrize("seed", [1, 2])
def test_usual_sums_per_link_are_the_medians_in_the_order_first_seen(seed):
    transfers = random_transfers(seed)
    for incoming in (False, True):
        plain = plain_typical(transfers, incoming)
        found = family._typical_sums(transfers, incoming)
        assert found == plain
        assert list(found) == list(plain)  # accounts in the order they first appear
        assert all(list(found[key]) == list(plain[key]) for key in plain)  # and their counterparties


def test_no_transfers_derive_nothing():
    assert family._everyday_amounts([], 0.02) == set()
    assert family._typical_sums([], True) == {}
