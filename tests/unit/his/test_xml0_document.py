"""Serialising XML0 documents and reading them back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from backend.adapters.his.xml0 import (
    Xml0FormatError,
    build_xml0_document,
    parse_xml0_document,
    parse_xml0_registrations,
)
from backend.domain.his_record import XML0_FIELDS, xml0_fields


def test_document_shape_and_encoding(make_registration):
    data = build_xml0_document(make_registration())
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    # Vietnamese is written as UTF-8, not as character references an old importer might not decode.
    assert "Nguyễn Văn An".encode("utf-8") in data
    root = ET.fromstring(data)
    assert root.tag == "CHI_TIEU_TRANG_THAI_KCB"
    listing, signature_slot = list(root)
    assert listing.tag == "DSACH_TRANG_THAI_KCB"
    # The facility signature's slot, empty until a signer (or the hospital's HIS) fills it.
    assert signature_slot.tag == "CHUKYDONVI" and len(signature_slot) == 0 and not signature_slot.text
    (record,) = list(listing)
    assert record.tag == "TRANG_THAI_KCB"
    assert [child.tag for child in record] == list(XML0_FIELDS)
    # Fields unknown at check-in are present and empty, not missing.
    assert record.find("NGAY_VAO_NOI_TRU") is not None and not record.find("NGAY_VAO_NOI_TRU").text


def test_several_registrations_keep_their_order(make_registration):
    regs = [make_registration(visit_id=f"LK-{n}", seq=n) for n in (3, 1, 2)]
    records = parse_xml0_document(build_xml0_document(regs))
    assert [record["MA_LK"] for record in records] == ["LK-3", "LK-1", "LK-2"]
    assert [record["STT"] for record in records] == ["3", "1", "2"]


def test_round_trip_fields_and_registrations(make_registration):
    regs = [
        make_registration(),
        make_registration(
            visit_id="LK-2",
            full_name="Đỗ Thị <Bé> & \"Út\"",  # XML's special characters survive escaping
            gender="unknown",
            dob=date(1942, 1, 1),
            dob_year_only=True,
            bhyt_codes=("HT2010120000002", "GD4797920000100"),
            cccd=None,
        ),
    ]
    data = build_xml0_document(regs)
    assert parse_xml0_document(data) == [xml0_fields(reg) for reg in regs]
    assert parse_xml0_registrations(data) == regs
    second = parse_xml0_document(data)[1]
    assert second["NGAY_SINH"] == "194200000000"
    assert second["GIOI_TINH"] == "3"
    assert second["MA_THE_BHYT"] == "HT2010120000002;GD4797920000100"


def test_empty_batch_is_a_valid_empty_document():
    assert parse_xml0_document(build_xml0_document([])) == []


@pytest.mark.parametrize(
    "data",
    [
        b"<CHI_TIEU_TRANG_THAI_KCB><DSACH_TRANG_THAI_KCB>",
        b"<OTHER><DSACH_TRANG_THAI_KCB/></OTHER>",
        b"<CHI_TIEU_TRANG_THAI_KCB/>",
        b"<CHI_TIEU_TRANG_THAI_KCB><DSACH_TRANG_THAI_KCB><X/></DSACH_TRANG_THAI_KCB></CHI_TIEU_TRANG_THAI_KCB>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><CHI_TIEU_TRANG_THAI_KCB/>',
    ],
)
def test_malformed_documents_are_refused(data):
    with pytest.raises(Xml0FormatError):
        parse_xml0_document(data)
