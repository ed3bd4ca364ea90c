import pytest

from backend.adapters.payments.vietqr.banks import BankListError, load_banks, parse_banks_csv

CSV = """bin,code,short_name,name
970436,VCB,Vietcombank,TMCP Ngoại thương Việt Nam
970422,MB,MBBank,TMCP Quân đội
970455,IBK-HN,IBKHN,"Industrial Bank of Korea - Chi nhánh Hà Nội"
"""


def test_load_from_path_keeps_vietnamese_names(tmp_path):
    path = tmp_path / "banks.csv"
    path.write_text(CSV, encoding="utf-8")
    banks = load_banks(path)
    assert len(banks) == 3
    assert banks.by_bin("970436").short_name == "Vietcombank"
    assert banks.by_bin("970422").name == "TMCP Quân đội"
    assert banks.by_code("ibk-hn").bin == "970455"
    assert "970436" in banks and "970400" not in banks
    assert banks.by_bin("999999") is None


def test_utf8_bom_from_spreadsheet_export_is_tolerated():
    assert parse_banks_csv("\ufeff" + CSV).by_code("VCB").bin == "970436"


@pytest.mark.parametrize(
    "text,message",
    [
        ("bin,code,name\n970436,VCB,x\n", "header"),
        ("bin,code,short_name,name\n97043,VCB,V,x\n", "line 2: BIN"),
        ("bin,code,short_name,name\n970436,VCB,V,x\n970436,VCB2,V,y\n", "line 3: BIN 970436 listed twice"),
        ("bin,code,short_name,name\n970436,VCB,V\n", "4 columns"),
    ],
)
def test_malformed_lists_name_the_line(text, message):
    with pytest.raises(BankListError, match=message):
        parse_banks_csv(text)
