import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.adapters.payments.vietqr.payload import (
    VietQRError,
    build_vietqr,
    crc16_ccitt_false,
    decode_vietqr,
    parse_tlv,
    parse_vietqr,
    verify_crc,
)

SPEC_VECTORS = [
    (
        dict(bank_bin="970403", account="9704031101234567", amount=None, purpose=None, to_card=True, dynamic=False),
        "00020101021138600010A00000072701300006970403011697040311012345670208QRIBFTTC53037045802VN63044F52",
    ),
    (
        dict(
            bank_bin="970403",
            account="0011012345678",
            amount=180000,
            purpose="thanh toan don hang",
            bill_number="NPS6869",
        ),
        "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN"
        "62340107NPS68690819thanh toan don hang63042E2E",
    ),
    (
        dict(bank_bin="970436", account="1234567890", amount=150000, purpose="KHAM BENH HS123456"),
        "00020101021238540010A00000072701240006970436011012345678900208QRIBFTTA530370454061500005802VN"
        "62220818KHAM BENH HS1234566304B624",
    ),
]


def independent_tlv(text: str) -> list[tuple[str, str]]:
    """A second, deliberately naive TLV reader so the parser under test is not checked against itself."""
    out = []
    i = 0
    while i < len(text):
        tag = text[i : i + 2]
        length = int(text[i + 2 : i + 4])
        out.append((tag, text[i + 4 : i + 4 + length]))
        i += 4 + length
    assert i == len(text), "TLV did not end on a field boundary"
    return out


def independent_crc(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def test_crc_check_value():
    assert crc16_ccitt_false("123456789") == "29B1"
    assert crc16_ccitt_false(b"123456789") == "29B1"
    assert independent_crc(b"123456789") == 0x29B1


def test_crc_is_zero_padded_to_four_digits():
    small = next(f"x{i}" for i in range(100_000) if binascii.crc_hqx(f"x{i}".encode(), 0xFFFF) < 0x100)
    crc = crc16_ccitt_false(small)
    assert len(crc) == 4 and crc.startswith("00")
    assert int(crc, 16) == independent_crc(small.encode())


@pytest.mark.parametrize("inputs,expected", SPEC_VECTORS)
def test_spec_vectors_reproduce_byte_exactly(inputs, expected):
    assert build_vietqr(**inputs) == expected


@pytest.mark.parametrize("inputs,expected", SPEC_VECTORS)
def test_spec_vectors_decode(inputs, expected):
    decoded = decode_vietqr(expected)
    assert decoded["bank_bin"] == inputs["bank_bin"]
    assert decoded["account"] == inputs["account"]
    assert decoded["amount"] == inputs["amount"]
    assert decoded["purpose"] == inputs["purpose"]
    assert decoded["bill_number"] == inputs.get("bill_number")
    assert decoded["to_card"] is inputs.get("to_card", False)
    assert decoded["dynamic"] is inputs.get("dynamic", True)
    assert decoded["currency"] == "704" and decoded["country"] == "VN"


def test_our_payload_reads_with_an_independent_tlv_parser():
    payload = build_vietqr("970436", "1012345678", 150000, "TD7K3M9QX2 Kham benh")
    top = independent_tlv(payload)
    assert [tag for tag, _ in top] == ["00", "01", "38", "53", "54", "58", "62", "63"]
    fields = dict(top)
    assert fields["00"] == "01" and fields["01"] == "12"
    merchant = dict(independent_tlv(fields["38"]))
    assert merchant == {
        "00": "A000000727",
        "01": "00069704360110" + "1012345678",
        "02": "QRIBFTTA",
    }
    assert dict(independent_tlv(merchant["01"])) == {"00": "970436", "01": "1012345678"}
    assert fields["53"] == "704" and fields["54"] == "150000" and fields["58"] == "VN"
    assert dict(independent_tlv(fields["62"])) == {"08": "TD7K3M9QX2 Kham benh"}
    assert int(fields["63"], 16) == independent_crc(payload[:-4].encode())


def test_purpose_diacritics_are_stripped_including_d_stroke():
    payload = build_vietqr("970436", "1012345678", 50000, "Đóng viện phí Đợt 2")
    assert parse_vietqr(payload).purpose == "Dong vien phi Dot 2"
    assert payload.isascii()


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(purpose="x" * 26), "limit is 25"),
        (dict(purpose="Phí €"), "printable ASCII"),
        (dict(amount=None), "needs an amount"),
        (dict(amount=0), "positive"),
        (dict(amount=True), "positive"),
        (dict(amount=150000.0), "positive"),
        (dict(bank_bin="97043"), "BIN"),
        (dict(account="1" * 20), "account"),
        (dict(account="12 34"), "account"),
    ],
)
def test_bad_inputs_are_refused(kwargs, message):
    args = dict(bank_bin="970436", account="1012345678", amount=150000, purpose="TD7K3M9QX2")
    args.update(kwargs)
    with pytest.raises(VietQRError, match=message):
        build_vietqr(**args)


def test_static_qr_may_omit_amount():
    payload = build_vietqr("970436", "1012345678", None, None, dynamic=False)
    assert "54" not in parse_vietqr(payload).fields
    assert parse_vietqr(payload).dynamic is False


def test_tampered_payload_fails_crc():
    good = SPEC_VECTORS[2][1]
    tampered = good.replace("5406150000", "5406950000")
    assert verify_crc(good) and not verify_crc(tampered)
    with pytest.raises(VietQRError, match="CRC"):
        decode_vietqr(tampered)


def test_lower_case_crc_is_accepted():
    good = SPEC_VECTORS[1][1]
    assert decode_vietqr(good[:-4] + good[-4:].lower())["amount"] == 180000


@pytest.mark.parametrize("bad", ["0002", "000201010", "0002010102x", "000201000202", "00ab01"])
def test_parse_tlv_rejects_truncated_or_repeated_fields(bad):
    with pytest.raises(VietQRError):
        parse_tlv(bad)


ascii_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=25)


@given(
    bank_bin=st.from_regex(r"[0-9]{6}", fullmatch=True),
    account=st.from_regex(r"[0-9A-Z]{1,19}", fullmatch=True),
    amount=st.integers(min_value=1, max_value=9_999_999_999_999),
    purpose=ascii_text,
    to_card=st.booleans(),
)
def test_build_then_decode_round_trips(bank_bin, account, amount, purpose, to_card):
    payload = build_vietqr(bank_bin, account, amount, purpose, to_card=to_card)
    decoded = decode_vietqr(payload)
    assert (decoded["bank_bin"], decoded["account"], decoded["amount"], decoded["purpose"]) == (
        bank_bin,
        account,
        amount,
        purpose,
    )
    assert decoded["to_card"] is to_card
    fields = dict(independent_tlv(payload))
    assert list(fields)[-1] == "63"
    assert int(fields["63"], 16) == independent_crc(payload[:-4].encode())
