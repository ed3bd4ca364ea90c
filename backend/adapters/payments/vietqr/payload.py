"""VietQR (NAPAS 247) payloads: EMVCo merchant-presented QR, TLV encoded, CRC-16 protected.

Layout (see shared/specs/payments.md): 00 format, 01 static/dynamic, 38 NAPAS merchant account
[00 GUID, 01 beneficiary [00 BIN, 01 account], 02 service], 53 currency, 54 amount, 58 country,
62 additional data [01 bill number, 08 purpose], 63 CRC (always last).
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from backend.domain.payments.text import is_printable_ascii, strip_diacritics

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
SERVICE_TO_CARD = "QRIBFTTC"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
POINT_OF_INITIATION_STATIC = "11"
POINT_OF_INITIATION_DYNAMIC = "12"
PURPOSE_MAX_LEN = 25
ACCOUNT_MAX_LEN = 19
# EMVCo caps ID 54 at 13 characters.
AMOUNT_MAX_DIGITS = 13

_CRC_TAG_AND_LENGTH = "6304"
_BIN_RE = re.compile(r"[0-9]{6}")
_ACCOUNT_RE = re.compile(r"[0-9A-Za-z]{1,%d}" % ACCOUNT_MAX_LEN)
_TAG_RE = re.compile(r"[0-9]{2}")


class VietQRError(ValueError):
    """A VietQR payload cannot be built from these inputs, or a payload is not valid VietQR."""


def crc16_ccitt_false(data: str | bytes) -> str:
    """CRC-16/CCITT-FALSE as the 4 upper-case hex digits EMVCo writes; "123456789" -> "29B1".

    Zero padding matters: about 1 payload in 16 has a CRC below 0x1000, and apps reject "3A7".
    """
    raw = data.encode("ascii") if isinstance(data, str) else data
    return "%04X" % binascii.crc_hqx(raw, 0xFFFF)


def tlv(tag: str, value: str) -> str:
    if not _TAG_RE.fullmatch(tag):
        raise VietQRError(f"TLV tag must be 2 digits, got {tag!r}")
    if not is_printable_ascii(value):
        raise VietQRError(f"TLV {tag} value must be printable ASCII")
    # Lengths count characters; restricting values to ASCII keeps characters == bytes.
    if not 0 < len(value) <= 99:
        raise VietQRError(f"TLV {tag} value length {len(value)} outside 1..99")
    return f"{tag}{len(value):02d}{value}"


def parse_tlv(data: str) -> dict[str, str]:
    """Split one TLV level into {tag: value}, in payload order. Nested levels are parsed by calling again."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        header = data[pos : pos + 4]
        if len(header) < 4 or not header.isdigit() or not header.isascii():
            raise VietQRError(f"malformed TLV header at offset {pos}")
        tag, length = header[:2], int(header[2:])
        value = data[pos + 4 : pos + 4 + length]
        if len(value) != length:
            raise VietQRError(f"TLV {tag} at offset {pos} runs past the end of the data")
        if tag in fields:
            raise VietQRError(f"TLV {tag} appears twice")
        fields[tag] = value
        pos += 4 + length
    return fields


def fold_purpose(purpose: str) -> str:
    """Purpose text as banks accept it: diacritics stripped, printable ASCII, at most 25 characters.

    Over-long or non-ASCII text raises rather than being cut, because cutting could drop the payment
    reference that matching depends on.
    """
    folded = strip_diacritics(purpose)
    if not is_printable_ascii(folded):
        raise VietQRError("purpose must be printable ASCII after stripping diacritics")
    if len(folded) > PURPOSE_MAX_LEN:
        raise VietQRError(f"purpose is {len(folded)} characters, the limit is {PURPOSE_MAX_LEN}")
    return folded


def build_vietqr(
    bank_bin: str,
    account: str,
    amount: int | None,
    purpose: str | None,
    to_card: bool = False,
    dynamic: bool = True,
    *,
    bill_number: str | None = None,
) -> str:
    """The VietQR payload string for a transfer of `amount` VND to `account` at the bank with `bank_bin`.

    `dynamic` (ID 01 = 12) marks a one-time QR and then requires an amount, so a patient cannot pay a
    different sum than the invoice. `bill_number` fills ID 62/01, which some acquirers print on receipts.
    """
    if not _BIN_RE.fullmatch(bank_bin or ""):
        raise VietQRError("bank BIN must be 6 digits")
    if not _ACCOUNT_RE.fullmatch(account or ""):
        raise VietQRError(f"account/card number must be 1..{ACCOUNT_MAX_LEN} letters or digits")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise VietQRError("amount must be a positive integer number of VND")
        if len(str(amount)) > AMOUNT_MAX_DIGITS:
            raise VietQRError("amount too large for EMVCo ID 54")
    elif dynamic:
        raise VietQRError("a dynamic (one-payment) QR needs an amount")

    beneficiary = tlv("00", bank_bin) + tlv("01", account)
    merchant_account = (
        tlv("00", NAPAS_GUID)
        + tlv("01", beneficiary)
        + tlv("02", SERVICE_TO_CARD if to_card else SERVICE_TO_ACCOUNT)
    )
    parts = [
        tlv("00", "01"),
        tlv("01", POINT_OF_INITIATION_DYNAMIC if dynamic else POINT_OF_INITIATION_STATIC),
        tlv("38", merchant_account),
        tlv("53", CURRENCY_VND),
    ]
    if amount is not None:
        parts.append(tlv("54", str(amount)))
    parts.append(tlv("58", COUNTRY_VN))
    additional = ""
    if bill_number:
        additional += tlv("01", fold_purpose(bill_number))
    if purpose:
        additional += tlv("08", fold_purpose(purpose))
    if additional:
        parts.append(tlv("62", additional))
    body = "".join(parts) + _CRC_TAG_AND_LENGTH
    return body + crc16_ccitt_false(body)


@dataclass(frozen=True)
class VietQRPayload:
    bank_bin: str
    account: str
    to_card: bool
    dynamic: bool
    amount: int | None
    purpose: str | None
    bill_number: str | None
    currency: str
    country: str
    crc: str
    fields: dict[str, str]

    def as_dict(self) -> dict[str, object]:
        return {
            "bank_bin": self.bank_bin,
            "account": self.account,
            "to_card": self.to_card,
            "dynamic": self.dynamic,
            "amount": self.amount,
            "purpose": self.purpose,
            "bill_number": self.bill_number,
            "currency": self.currency,
            "country": self.country,
            "crc": self.crc,
            "fields": dict(self.fields),
        }


def verify_crc(payload: str) -> bool:
    if len(payload) < 8 or payload[-8:-4] != _CRC_TAG_AND_LENGTH:
        return False
    # Some generators write lower-case hex; the checksum is the same number.
    return payload[-4:].upper() == crc16_ccitt_false(payload[:-4])


def parse_vietqr(payload: str) -> VietQRPayload:
    """Validate the CRC and structure of a VietQR payload and pull out the transfer facts."""
    if not verify_crc(payload):
        raise VietQRError("CRC missing, not last, or wrong")
    fields = parse_tlv(payload)
    if list(fields)[-1] != "63":
        raise VietQRError("CRC field is not last")
    if fields.get("00") != "01":
        raise VietQRError("payload format indicator must be 01")
    initiation = fields.get("01")
    if initiation not in (POINT_OF_INITIATION_STATIC, POINT_OF_INITIATION_DYNAMIC):
        raise VietQRError("point of initiation must be 11 or 12")
    if "38" not in fields:
        raise VietQRError("no NAPAS merchant account (ID 38)")
    merchant = parse_tlv(fields["38"])
    if merchant.get("00") != NAPAS_GUID:
        raise VietQRError("ID 38 is not a NAPAS VietQR account")
    service = merchant.get("02")
    if service not in (SERVICE_TO_ACCOUNT, SERVICE_TO_CARD):
        raise VietQRError("unknown NAPAS service code")
    beneficiary = parse_tlv(merchant.get("01", ""))
    bank_bin, account = beneficiary.get("00", ""), beneficiary.get("01", "")
    if not _BIN_RE.fullmatch(bank_bin) or not _ACCOUNT_RE.fullmatch(account):
        raise VietQRError("beneficiary BIN or account malformed")
    amount_text = fields.get("54")
    if amount_text is not None and not (amount_text.isdigit() and amount_text.isascii()):
        # Decimal amounts are legal EMVCo, but VND has no minor unit, so they mean a bad generator.
        raise VietQRError("amount must be an integer number of VND")
    additional = parse_tlv(fields["62"]) if "62" in fields else {}
    return VietQRPayload(
        bank_bin=bank_bin,
        account=account,
        to_card=service == SERVICE_TO_CARD,
        dynamic=initiation == POINT_OF_INITIATION_DYNAMIC,
        amount=int(amount_text) if amount_text is not None else None,
        purpose=additional.get("08"),
        bill_number=additional.get("01"),
        currency=fields.get("53", ""),
        country=fields.get("58", ""),
        crc=fields["63"].upper(),
        fields=fields,
    )


def decode_vietqr(payload: str) -> dict[str, object]:
    """parse_vietqr as a plain dict (for JSON answers and logs of non-secret facts)."""
    return parse_vietqr(payload).as_dict()
