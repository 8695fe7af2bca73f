"""The case browser reads a type's entities only when it is expanded, a page at a time, and still
finds any entity (by its filter box or by double-click) on the real demo case."""

from __future__ import annotations

import pytest

from workbench.ui import panels
from workbench.ui.panels import ENTITY_ROLE, MORE_ROLE

COMPANIES = 12  # in the demo case, by name:
FIRST_COMPANIES = ["Atlas Crest General Trading FZE", "Brightwave Components Limited",
                   "Cascade Signal Devices, Inc.", "Gulfstar Freight & Logistics FZCO"]
KARADENIZ = "demo-co-karadeniz-elektronik"


@pytest.fixture
def window(demo_window):
    return demo_window


def rows_under(item):
    return [item.child(i) for i in range(item.childCount())]


def types(browser) -> dict[str, str]:
    entities = browser.tree.topLevelItem(0)
    return {item.text(0): item.text(1) for item in rows_under(entities)}


def activate(browser, item) -> None:
    browser.tree.setCurrentItem(item)
    browser.tree.itemActivated.emit(item, 0)


def test_a_case_opens_with_its_types_and_counts_and_no_entity_rows(window):
    browser = window.browser
    assert browser.tree.topLevelItem(0).text(0) == "Entities"
    assert types(browser)["Companies"] == str(COMPANIES)
    assert types(browser)["Payments"] == "13"
    # Nothing is read under a type before it is expanded; each still shows it can be.
    for item in rows_under(browser.tree.topLevelItem(0)):
        assert item.childCount() == 0 and not item.isExpanded()
        assert item.childIndicatorPolicy() == item.ChildIndicatorPolicy.ShowIndicator


def test_expanding_a_type_lists_its_entities_by_name_and_double_click_finds_one_on_the_chart(window, qtbot):
    browser = window.browser
    companies = browser.type_item("Company")
    companies.setExpanded(True)
    listed = [name for _, name in browser.entity_rows("Company")]
    assert len(listed) == COMPANIES and listed[:4] == FIRST_COMPANIES
    karadeniz = next(item for item in rows_under(companies) if item.data(0, ENTITY_ROLE) == KARADENIZ)
    activate(browser, karadeniz)
    assert window.model.selected_ids() == [KARADENIZ]


def test_a_big_type_is_listed_a_page_at_a_time(window, monkeypatch, qtbot):
    monkeypatch.setattr(panels, "BROWSER_PAGE", 5)
    browser = window.browser
    companies = browser.type_item("Company")
    companies.setExpanded(True)
    assert [name for _, name in browser.entity_rows("Company")] == FIRST_COMPANIES + ["Hoshizora Denshi K.K."]
    more = companies.child(companies.childCount() - 1)
    assert more.text(0) == "Show 5 more of 7…" and more.data(0, MORE_ROLE) == 5
    activate(browser, more)
    qtbot.waitUntil(lambda: len(browser.entity_rows("Company")) == 10)
    more = companies.child(companies.childCount() - 1)
    assert more.text(0) == "Show 2 more of 2…"
    activate(browser, more)
    qtbot.waitUntil(lambda: len(browser.entity_rows("Company")) == COMPANIES)
    # Every company once, in order, and no "Show more" row left.
    names = [name for _, name in browser.entity_rows("Company")]
    assert len(set(names)) == COMPANIES and names == sorted(names)
    assert all(companies.child(i).data(0, MORE_ROLE) == -1 for i in range(companies.childCount()))


def test_the_filter_finds_an_entity_past_the_first_page_and_activating_it_finds_it_on_the_chart(window, monkeypatch,
                                                                                               qtbot):
    monkeypatch.setattr(panels, "BROWSER_PAGE", 3)
    browser = window.browser
    browser.filter.setText("karadeniz")
    qtbot.waitUntil(lambda: bool(browser.entity_rows("Company")), timeout=3000)
    assert types(browser) == {"Bank accounts": "1", "Companies": "1"}  # the company and its account
    assert browser.entity_rows("Company") == [(KARADENIZ, "Karadeniz Elektronik Dis Ticaret Ltd. Sti.")]
    activate(browser, browser.type_item("Company").child(0))
    assert window.model.selected_ids() == [KARADENIZ]
    # Nothing matches: said so; clearing the filter brings every type back.
    browser.filter.setText("no such party 100%")
    qtbot.waitUntil(lambda: browser.tree.topLevelItem(0).text(0) == "Entities: none match", timeout=3000)
    browser.filter.clear()
    qtbot.waitUntil(lambda: types(browser).get("Companies") == str(COMPANIES), timeout=3000)


def test_types_expanded_stay_expanded_when_the_browser_is_read_again(window, qtbot, monkeypatch):
    browser = window.browser
    browser.type_item("Person").setExpanded(True)
    monkeypatch.setattr("workbench.ui.main_window.QInputDialog.getText", lambda *a, **k: ("Persons view", True))
    window.save_view()  # reads the browser again, with the new view under "Saved views"
    assert browser.type_item("Person").isExpanded() and len(browser.entity_rows("Person")) == 5
    assert not browser.type_item("Company").isExpanded() and browser.entity_rows("Company") == []
    views = browser.tree.topLevelItem(2)
    assert [views.child(i).text(0) for i in range(views.childCount())] == ["Persons view"]


def test_the_toolbar_search_still_finds_an_entity_nobody_expanded(window):
    window.find_text("Karadeniz Elektronik Dis Ticaret Ltd. Sti.")
    assert window.model.selected_ids() == [KARADENIZ]
    assert window.browser.entity_rows("Company") == []  # the browser read nothing for it


def test_the_search_field_offers_every_name_once_it_is_used(window):
    # Read when the field is first used, not at every open.
    window.focus_search()
    names = window.completions.stringList()
    assert "Karadeniz Elektronik Dis Ticaret Ltd. Sti." in names and names == sorted(set(names))
