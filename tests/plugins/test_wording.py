"""One way of writing sums, lists and cut-short names, for detectors, command line and app alike."""

from workbench.plugin_api.wording import listing, money, shorten


def test_money_reads_as_an_analyst_writes_it():
    assert money(310000, "usd") == "USD 310,000"
    assert money("1250.5", "EUR") == "EUR 1,250.50"
    assert money(12000, None) == "12,000"
    assert money(12000, "", no_currency="(no currency given)") == "12,000 (no currency given)"
    assert money("about 3m", "GBP") == "GBP about 3m"  # not a number: as recorded
    assert money(None, "USD") == "" and money("", "USD") == ""


def test_listing_joins_names_with_and_or_or_and_says_how_many_more():
    assert listing([]) == ""
    assert listing(["Atlas"]) == "Atlas"
    assert listing(["Atlas", "Gulfstar"]) == "Atlas and Gulfstar"
    assert listing(["Russia", "Belarus", "Iran"], "or") == "Russia, Belarus or Iran"
    names = [f"Co {n}" for n in range(1, 10)]
    assert listing(names, limit=4) == "Co 1, Co 2, Co 3 and 6 more"
    assert listing(names[:4], limit=4) == "Co 1, Co 2, Co 3 and Co 4"


def test_shorten_cuts_with_an_ellipsis_within_the_limit():
    assert shorten("Brightwave Components Limited", 40) == "Brightwave Components Limited"
    cut = shorten("Brightwave Components Limited", 12)
    assert cut == "Brightwave …" and len(cut) == 12
