"""The XML0 file-drop gateway, on a real directory."""

from __future__ import annotations

import os

import pytest

from backend.adapters.his.xml0 import Xml0FileExporter, parse_xml0_registrations
from backend.services.ports.his import HisGateway, HisReason, HisUnavailable


def test_writes_one_parseable_file_per_visit(tmp_path, make_registration):
    exporter = Xml0FileExporter(tmp_path)
    reg = make_registration()

    receipt = exporter.register_visit(reg)

    assert isinstance(exporter, HisGateway)
    (written,) = list(tmp_path.iterdir())  # and no temp file left behind
    assert written.name == f"XML0_79001_{reg.visit_id}.xml"
    assert parse_xml0_registrations(written.read_bytes()) == [reg]
    assert (receipt.his_patient_id, receipt.his_encounter_id, receipt.encounter_created) == (
        reg.patient_id,
        reg.visit_id,
        True,
    )
    assert written.stat().st_mode & 0o777 == 0o640


def test_second_call_for_a_visit_does_not_write_again(tmp_path, make_registration):
    exporter = Xml0FileExporter(tmp_path)
    reg = make_registration()
    exporter.register_visit(reg)
    path = exporter.path_for(reg)
    os.utime(path, (1_000_000, 1_000_000))

    receipt = exporter.register_visit(reg)

    assert receipt.encounter_created is False
    assert path.stat().st_mtime == 1_000_000
    assert len(list(tmp_path.iterdir())) == 1


def test_odd_visit_ids_cannot_escape_the_outbox(tmp_path, make_registration):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    reg = make_registration(visit_id="../../etc/LK 1")
    Xml0FileExporter(outbox).register_visit(reg)
    (written,) = list(outbox.iterdir())
    assert written.parent == outbox
    assert ".." not in written.name and " " not in written.name
    assert parse_xml0_registrations(written.read_bytes())[0].visit_id == "../../etc/LK 1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outbox"]


@pytest.mark.parametrize("kind", ["missing", "a file, not a directory"])
def test_unusable_outbox_is_transient(tmp_path, make_registration, kind):
    outbox = tmp_path / "outbox"
    if kind != "missing":
        outbox.write_text("")
    exporter = Xml0FileExporter(outbox)
    with pytest.raises(HisUnavailable) as caught:
        exporter.register_visit(make_registration())
    assert caught.value.reason == HisReason.OUTBOX_UNWRITABLE
