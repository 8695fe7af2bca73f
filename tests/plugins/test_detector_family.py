"""The detector family base: what a member declares, it gets (country and table parameters read
once when it is made, one view of the case per run), and a bad value is refused by name."""

from __future__ import annotations

import pytest

from workbench.model import make_entity
from workbench.plugin_api import Parameter, ParameterError
from workbench.plugin_api.family import CaseFacts, DetectorFamily, table_parameters


class Watched(DetectorFamily):
    """A family member of this test: reports every company in one of its countries."""

    id = "test-watched-countries"
    parameters = {
        "countries": Parameter(default="ru,by", help="ISO codes and/or reference tables"),
        **table_parameters("zones", table="free_trade_zones", column="pattern"),
    }
    views: list[CaseFacts] = []

    def prepare(self) -> None:
        self.countries = self.country_option("countries")
        self.zones = self.table_items("zones", "pattern")

    def check(self, view: CaseFacts):
        Watched.views.append(view)
        for company in view.facts.of_schema("Company"):
            if set(company.get("country")) & self.countries:
                yield {"entities": [company.id], "evidence": [company.id], "score": 0.5,
                       "explanation": f"{view.caption(company.id)} is in a watched country."}


def test_a_member_reads_its_options_once_when_made():
    member = Watched(countries="ir, high_risk_jurisdictions", extra_zones="Harbourgate Enterprise Zone, free zone")
    assert {"ir", "ru", "by"} <= member.countries
    # The table's patterns first, then the analyst's, each once.
    assert member.zones[0] == "free zone" and member.zones[-1] == "Harbourgate Enterprise Zone"
    assert member.zones.count("free zone") == 1
    assert Watched(zones_table="", extra_zones="").zones == []


@pytest.mark.parametrize("options, named", [
    ({"countries": "no_such_table"}, "'countries': 'no_such_table' is neither an ISO country code nor a reference table"),
    ({"zones_table": "no_such_table"}, "'zones_table'"),
])
def test_a_bad_option_is_refused_by_name_when_the_member_is_made(options, named):
    with pytest.raises(ParameterError, match=named):
        Watched(**options)


def test_check_gets_one_view_of_the_case_per_run(case):
    case.ingest([make_entity("Company", "c-1", name="Sever Trade", country="ru"),
                 make_entity("Company", "c-2", name="Helios GmbH", country="de")], _source())
    Watched.views.clear()
    member = Watched()
    found = list(member.run(case))
    assert [f["entities"] for f in found] == [["c-1"]]
    assert found[0]["explanation"] == "Sever Trade is in a watched country."
    list(member.run(case))
    assert len(Watched.views) == 2 and Watched.views[0] is not Watched.views[1]


def test_the_family_base_is_no_detector_of_its_own():
    from workbench.plugin_api import detectors

    assert DetectorFamily.id == "" and DetectorFamily not in detectors()
    assert "chpl-to-risky-destination" in {detector.id for detector in detectors()}


def _source():
    from workbench.model import SourceInfo

    return SourceInfo(file_name="companies.csv")
