"""Card QR texts for synthetic people, in the formats of specs/cards.md."""
from datetime import date


def cccd_qr(number: str, name: str, dob: date, gender: str, old_cmnd: str = "") -> str:
    return (f"{number}|{old_cmnd}|{name}|{dob:%d%m%Y}|{gender}|"
            f"Xã Tân Đức, Huyện Phú Bình, Thái Nguyên|15032025")


def bhyt_qr(code: str, name: str, dob: str, gender: int, valid_from: str, valid_to: str,
            dkbd: str = "19 - 012") -> str:
    hexname = name.encode().hex()
    address = "Xã Tân Đức, Huyện Phú Bình".encode().hex()
    return (f"{code}|{hexname}|{dob}|{gender}|{address}|{dkbd}|{valid_from}|{valid_to}|"
            f"20/12/2025|-|-|4|01/01/2028|a1b2c3d4e5f60718-1234|$")


def synthetic_cccd(i: int, year: int = 1980, female: bool = False) -> str:
    """A structurally valid 12-digit CCCD: province 019 (Thái Nguyên), gender/century, year, serial."""
    century_digit = (0 if year < 2000 else 2) + (1 if female else 0)
    return f"019{century_digit}{year % 100:02d}{i:06d}"
