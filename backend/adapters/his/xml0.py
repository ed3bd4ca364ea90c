"""QĐ 130 XML0 documents ("trạng thái KCB", the check-in record) and a file-drop HIS adapter.

Document shape (UTF-8):

    <CHI_TIEU_TRANG_THAI_KCB>
      <DSACH_TRANG_THAI_KCB>
        <TRANG_THAI_KCB> <MA_LK>…</MA_LK> <STT>…</STT> … <DU_PHONG /> </TRANG_THAI_KCB>
        …
      </DSACH_TRANG_THAI_KCB>
      <CHUKYDONVI />
    </CHI_TIEU_TRANG_THAI_KCB>

Field values and their order come from `backend.domain.his_record.xml0_fields`; this module only
handles XML and files. `CHUKYDONVI` is the slot for the facility's signature, empty here as in the
BHXH gateway's template; `xml0_signing` (or the hospital's own HIS) fills it.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from hashlib import sha256
from pathlib import Path

from backend.domain.his_record import (
    XML0_FIELDS,
    VisitRegistration,
    registration_from_xml0_fields,
    xml0_fields,
)
from backend.services.ports.his import HisReason, HisReceipt, HisUnavailable
from backend.services.ports.signing import DocumentSigner, LeaveUnsigned, SigningUnavailable

log = logging.getLogger(__name__)

ROOT_TAG = "CHI_TIEU_TRANG_THAI_KCB"
LIST_TAG = "DSACH_TRANG_THAI_KCB"
RECORD_TAG = "TRANG_THAI_KCB"
SIGNATURE_TAG = "CHUKYDONVI"


class Xml0FormatError(ValueError):
    """The bytes are not an XML0 document. Messages describe structure only, never field values."""


def build_xml0_document_from_fields(records: Iterable[Mapping[str, str]]) -> bytes:
    """Serialise already-formatted XML0 records; every field of `XML0_FIELDS` is written, in order."""
    root = ET.Element(ROOT_TAG)
    listing = ET.SubElement(root, LIST_TAG)
    for record in records:
        element = ET.SubElement(listing, RECORD_TAG)
        for name in XML0_FIELDS:
            ET.SubElement(element, name).text = record.get(name, "")
    ET.SubElement(root, SIGNATURE_TAG)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def build_xml0_document(registrations: VisitRegistration | Iterable[VisitRegistration]) -> bytes:
    """The XML0 document for one check-in or a batch of them."""
    if isinstance(registrations, VisitRegistration):
        registrations = [registrations]
    return build_xml0_document_from_fields(xml0_fields(reg) for reg in registrations)


def parse_xml0_document(data: bytes) -> list[dict[str, str]]:
    """Read the records of an XML0 document, each as {field: text} in document order.

    Documents come from the hospital's own HIS or from this project, but DOCTYPEs are still refused:
    XML0 never needs one, and refusing them shuts out entity-expansion tricks.
    """
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise Xml0FormatError("DOCTYPE and ENTITY declarations are not allowed in XML0")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise Xml0FormatError(f"not well-formed XML (line {exc.position[0]})") from None
    if root.tag != ROOT_TAG:
        raise Xml0FormatError(f"root element must be {ROOT_TAG}")
    listing = root.find(LIST_TAG)
    if listing is None:
        raise Xml0FormatError(f"{ROOT_TAG} has no {LIST_TAG}")
    records = []
    for element in listing:
        if element.tag != RECORD_TAG:
            raise Xml0FormatError(f"{LIST_TAG} may only contain {RECORD_TAG}")
        records.append({child.tag: (child.text or "").strip() for child in element})
    return records


def parse_xml0_registrations(data: bytes) -> list[VisitRegistration]:
    """Read an XML0 document back into registrations (see `registration_from_xml0_fields`)."""
    return [registration_from_xml0_fields(record) for record in parse_xml0_document(data)]


# ---------------------------------------------------------------------------------------------
# File-drop adapter

_SAFE_FILE_PART = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def _file_part(value: str) -> str:
    # Visit ids and hospital codes are normally plain; anything else (slashes, dots, Vietnamese
    # letters) is replaced by a stable digest so the name stays portable and deterministic.
    if _SAFE_FILE_PART.match(value):
        return value
    return "h" + sha256(value.encode("utf-8")).hexdigest()[:32]


class Xml0FileExporter:
    """HIS gateway for vendors that import XML0 files from a shared directory.

    One file per visit, named from MA_CSKCB and MA_LK, so a retry finds the file it already wrote
    instead of dropping a second one. Files appear atomically (written to a hidden temp file in the
    same directory, fsynced, then renamed), so the vendor's importer never reads half a file. The
    content depends only on the registration, so two workers racing on one visit write the same
    record (byte for byte with an RSA certificate; an ECDSA signature differs each time but both
    verify). Files are signed by `signer` (see `xml0_signing`); the default leaves `CHUKYDONVI`
    empty for a HIS that signs the records itself. If the importer moves files away after reading,
    it must itself treat MA_LK as unique, which QĐ 130 already requires.
    """

    def __init__(
        self,
        outbox_dir: str | os.PathLike[str],
        *,
        file_prefix: str = "XML0",
        file_mode: int = 0o640,
        signer: DocumentSigner | None = None,
    ) -> None:
        self._outbox_dir = Path(outbox_dir)
        self._signer = signer or LeaveUnsigned()
        self._file_prefix = file_prefix
        self._file_mode = file_mode

    def path_for(self, reg: VisitRegistration) -> Path:
        name = f"{self._file_prefix}_{_file_part(reg.hospital_code)}_{_file_part(reg.visit_id)}.xml"
        return self._outbox_dir / name

    def register_visit(self, reg: VisitRegistration) -> HisReceipt:
        target = self.path_for(reg)
        if target.exists():
            log.info("his.xml0 file already present, not rewritten")
            return self._receipt(reg, written=False)
        # The directory is not created here: a missing network share must show up as an outage, not
        # as files quietly piling up on the local disk.
        if not self._outbox_dir.is_dir():
            raise HisUnavailable(HisReason.OUTBOX_UNWRITABLE)
        try:
            document = self._signer.sign(build_xml0_document(reg))
        except SigningUnavailable:
            # Never an unsigned file in place of a signed one: wait for a renewed certificate.
            raise HisUnavailable(HisReason.SIGNING_UNAVAILABLE) from None
        try:
            self._write_atomically(target, document.content)
        except OSError as exc:
            log.warning("his.xml0 write failed: %s", type(exc).__name__)
            raise HisUnavailable(HisReason.OUTBOX_UNWRITABLE) from None
        log.info("his.xml0 file written (%s)", "signed" if document.signed else "unsigned")
        return self._receipt(reg, written=True)

    @staticmethod
    def _receipt(reg: VisitRegistration, *, written: bool) -> HisReceipt:
        # A file drop gives no HIS ids back; the hospital's own codes are what the importer keys on.
        return HisReceipt(his_patient_id=reg.patient_id, his_encounter_id=reg.visit_id, encounter_created=written)

    def _write_atomically(self, target: Path, content: bytes) -> None:
        fd, temp_name = tempfile.mkstemp(dir=self._outbox_dir, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, self._file_mode)
            os.replace(temp_name, target)
        except BaseException:
            try:
                os.unlink(temp_name)
            except FileNotFoundError:
                pass
            raise
        self._fsync_directory()

    def _fsync_directory(self) -> None:
        # Makes the rename itself durable; not every platform lets a directory be opened.
        try:
            dir_fd = os.open(self._outbox_dir, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)
