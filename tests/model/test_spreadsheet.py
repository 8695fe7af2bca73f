"""Typed spreadsheet cells read as the same text by every importer that reads a workbook."""

from datetime import date, datetime

from openpyxl import Workbook

from workbench.model.spreadsheet import cell_text
from workbench.mapping import read_xlsx


def test_typed_cells_become_ftm_text():
    assert cell_text(None) == ""
    assert cell_text(True) == "true" and cell_text(False) == "false"
    assert cell_text(854232.0) == "854232" and cell_text(12.5) == "12.5" and cell_text(7) == "7"
    assert cell_text(date(2023, 3, 6)) == "2023-03-06"
    assert cell_text(datetime(2023, 3, 6)) == "2023-03-06"
    assert cell_text(datetime(2023, 3, 6, 14, 30)) == "2023-03-06T14:30:00"
    assert cell_text(" Atlas ") == " Atlas "


def test_a_mapped_table_reads_a_ticked_box_as_the_workbook_importer_does(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Listed", "Incorporated", "HS"])
    sheet.append(["Atlas Crest Trading", True, datetime(2019, 5, 2), 854232])
    sheet.append(["Gulfstar Logistics", False, datetime(2020, 1, 1, 9, 15), 30617.0])
    workbook.save(tmp_path / "parties.xlsx")
    _header, rows, _where = read_xlsx(tmp_path / "parties.xlsx")
    assert [values for _number, values in rows] == [
        {"Name": "Atlas Crest Trading", "Listed": "true", "Incorporated": "2019-05-02", "HS": "854232"},
        {"Name": "Gulfstar Logistics", "Listed": "false", "Incorporated": "2020-01-01T09:15:00", "HS": "30617"},
    ]
