"""Synthetic people and cards for the BHXH simulator, and a worked request for every ``maKetQua``.

Everything here is invented. Tests, the demo and the docs use ``RESULT_CODE_EXAMPLES`` to reach a given
result code; ``SEEDED_CARDS`` is the simulator's default storage. See the table in
``backend.simulators.bhxh``'s docstring.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class SimAccount:
    username: str
    password: str  # plain; the gateway compares the UPPERCASE MD5 hex the client sends


@dataclass(frozen=True)
class SimVisit:
    """One entry of ``dsLichSuKCB2018``."""

    ma_ho_so: str
    ma_cskcb: str
    ngay_vao: str  # yyyyMMddHHmm
    ngay_ra: str
    ten_benh: str
    tinh_trang: str
    kq_dieu_tri: str
    ly_do_vv: str


@dataclass(frozen=True)
class SimCard:
    """A person as BHXH knows them. ``result_code`` is what a correct look-up of this card answers."""

    ma_the: str | None  # 15-character code; None for a child without a card
    ho_ten: str
    ngay_sinh: str  # dd/mm/yyyy, or yyyy when only the year is registered
    gioi_tinh: str  # "Nam" / "Nữ"
    result_code: str = "000"
    cccd: str | None = None  # answers look-ups by CCCD number (patients who show only their CCCD)
    dia_chi: str = ""
    ma_dkbd: str = "01001"
    cq_bhxh: str = "Bảo hiểm xã hội Thành phố Hà Nội"
    gt_the_tu: str = "01/01/2026"
    gt_the_den: str = "31/12/2026"
    ma_kv: str = ""
    ngay_du_5_nam: str = ""
    ma_the_moi: str | None = None
    gt_the_tu_moi: str | None = None
    gt_the_den_moi: str | None = None
    ma_dkbd_moi: str | None = None
    ten_dkbd_moi: str | None = None
    visits: tuple[SimVisit, ...] = field(default=())

    @property
    def ma_so_bhxh(self) -> str | None:
        return self.ma_the[-10:] if self.ma_the else None

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["visits"] = [asdict(visit) for visit in self.visits]
        data["ma_so_bhxh"] = self.ma_so_bhxh
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> SimCard:
        values = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        values["visits"] = tuple(SimVisit(**visit) for visit in data.get("visits") or ())  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


DEFAULT_ACCOUNT = SimAccount(username="12345_BV", password="matkhau-demo")

# cccdCb → hoTenCb of staff registered with BHXH for this hospital.
REGISTERED_STAFF: dict[str, str] = {
    "001185001111": "Phạm Thị Hương",
    "001088002222": "Lê Văn Đức",
}
DEFAULT_STAFF_CCCD = "001185001111"
DEFAULT_STAFF_NAME = REGISTERED_STAFF[DEFAULT_STAFF_CCCD]

HANOI = "Phường Hàng Bài, Quận Hoàn Kiếm, Thành phố Hà Nội"

_BINH = SimCard(
    ma_the="DN4010123456789",
    ho_ten="Trần Thị Bình",
    ngay_sinh="15/08/1990",
    gioi_tinh="Nữ",
    dia_chi=HANOI,
    gt_the_tu="01/01/2025",
    gt_the_den="31/12/2025",
    ngay_du_5_nam="01/01/2028",
    visits=(
        SimVisit("HS2025000123", "01001", "202503101015", "202503101130", "Viêm họng cấp", "1", "2", "1"),
    ),
)

SEEDED_CARDS: tuple[SimCard, ...] = (
    _BINH,
    SimCard("DN4010190012345", "Nguyễn Văn An", "15/08/1990", "Nam", cccd="001090012345",
            dia_chi="Số 1 Phố Huế, Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội"),
    SimCard("SV4797905001234", "Trần Thị Mai", "02/02/2005", "Nữ", cccd="079305001234",
            dia_chi="Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh", ma_dkbd="79024",
            cq_bhxh="Bảo hiểm xã hội Thành phố Hồ Chí Minh"),
    SimCard("HT2140000001940", "Lò Văn Pành", "1940", "Nam", dia_chi="Xã Chiềng Cơi, Thành phố Sơn La",
            ma_dkbd="14001", cq_bhxh="Bảo hiểm xã hội tỉnh Sơn La", gt_the_den="31/12/2030"),
    SimCard("QN5010000000001", "Phạm Văn Hùng", "20/11/1975", "Nam", result_code="001",
            cq_bhxh="Bảo hiểm xã hội Bộ Quốc phòng"),
    SimCard("CA5010000000002", "Lê Văn Cường", "05/05/1980", "Nam", result_code="002",
            cq_bhxh="Bảo hiểm xã hội Bộ Công an"),
    SimCard("HT3010000000003", "Đỗ Thị Lan", "12/12/1950", "Nữ", result_code="003",
            gt_the_tu="01/01/2024", gt_the_den="31/12/2024", ma_the_moi="HT2010000000003",
            gt_the_tu_moi="01/01/2025", gt_the_den_moi="31/12/2029", ma_dkbd_moi="01001",
            ten_dkbd_moi="Bệnh viện Đa khoa Hà Nội"),
    SimCard("HT2010000000003", "Đỗ Thị Lan", "12/12/1950", "Nữ",
            gt_the_tu="01/01/2025", gt_the_den="31/12/2029"),
    SimCard("HN2010000000004", "Vũ Văn Nam", "01/01/1962", "Nam", result_code="004",
            ma_the_moi="HN1010000000004", gt_the_tu_moi="01/01/2027", gt_the_den_moi="31/12/2027",
            ma_dkbd_moi="01001", ten_dkbd_moi="Bệnh viện Đa khoa Hà Nội"),
    SimCard("HN1010000000004", "Vũ Văn Nam", "01/01/1962", "Nam",
            gt_the_tu="01/01/2027", gt_the_den="31/12/2027"),
    SimCard("GD4010000000010", "Hoàng Thị Thu", "23/04/1988", "Nữ", result_code="010",
            gt_the_tu="01/01/2023", gt_the_den="31/12/2023"),
    SimCard("GD4010000000100", "Bùi Văn Tư", "09/09/1995", "Nam", result_code="100"),
    SimCard("DN4010000000101", "Đặng Thị Hoa", "14/02/1983", "Nữ", result_code="101"),
    SimCard("DN4010000000110", "Ngô Văn Sơn", "30/06/1979", "Nam", result_code="110"),
    SimCard("DN4010000000120", "Phan Thị Hạnh", "03/03/1991", "Nữ", result_code="120"),
    SimCard("DN4010000000121", "Trịnh Văn Long", "07/07/1970", "Nam", result_code="121"),
    SimCard("HT2010000000122", "Mai Thị Hồng", "11/11/1945", "Nữ", result_code="122"),
    SimCard("GD4010000000123", "Đinh Văn Quang", "21/01/1999", "Nam", result_code="123"),
    SimCard("HS4010000000124", "Lý Thị Ngọc", "15/09/2008", "Nữ", result_code="124"),
    SimCard(None, "Nguyễn Minh Khôi", "10/03/2022", "Nam", result_code="130", cccd="001222012345",
            gt_the_tu="", gt_the_den=""),
)


@dataclass(frozen=True)
class CheckExample:
    """A look-up that makes the simulator answer ``code``. None for staff/password: use the defaults."""

    code: str
    card_code: str
    full_name: str
    dob_text: str
    how: str
    staff_name: str | None = None
    staff_cccd: str | None = None
    password: str | None = None
    new_card_code: str | None = None


def _seeded(code: str, how: str = "seeded card with this result") -> CheckExample:
    card = next(card for card in SEEDED_CARDS if card.result_code == code)
    return CheckExample(
        code,
        card.ma_the or card.cccd or "",
        card.ho_ten,
        card.ngay_sinh,
        how,
        new_card_code=card.ma_the_moi,
    )


_BINH_CODE, _BINH_NAME, _BINH_DOB = "DN4010123456789", "Trần Thị Bình", "15/08/1990"

RESULT_CODE_EXAMPLES: dict[str, CheckExample] = {
    example.code: example
    for example in (
        _seeded("000", "spec example person (also by BHXH number 0123456789)"),
        _seeded("001"),
        _seeded("002"),
        _seeded("003"),
        _seeded("004"),
        _seeded("010"),
        CheckExample("050", "DN4019999999999", "Nguyễn Thị Không", "01/01/1980", "card not in storage"),
        CheckExample("051", "HS4010123456789", _BINH_NAME, _BINH_DOB, "known BHXH number, other group letters"),
        CheckExample("052", "DN4790123456789", _BINH_NAME, _BINH_DOB, "known BHXH number, other province"),
        CheckExample("053", "DN3010123456789", _BINH_NAME, _BINH_DOB, "known BHXH number, other benefit level"),
        CheckExample("054", _BINH_CODE, _BINH_NAME, _BINH_DOB, "staff CCCD not registered",
                     staff_cccd="001099999999"),
        CheckExample("055", _BINH_CODE, _BINH_NAME, _BINH_DOB, "staff name differs from the CCCD's",
                     staff_name="Nguyễn Văn Sai"),
        CheckExample("060", _BINH_CODE, "Lê Văn Tám", _BINH_DOB, "wrong name"),
        CheckExample("061", _BINH_CODE, "Trương Thị Bình", _BINH_DOB, "wrong name, first letter right"),
        CheckExample("070", _BINH_CODE, _BINH_NAME, "16/08/1990", "wrong date of birth"),
        _seeded("100"),
        _seeded("101"),
        _seeded("110"),
        _seeded("120"),
        _seeded("121"),
        _seeded("122"),
        _seeded("123"),
        _seeded("124"),
        _seeded("130", "child without a card, looked up by personal ID number"),
        CheckExample("205", _BINH_CODE, _BINH_NAME, "1990-08-15", "ngaySinh not dd/mm/yyyy or yyyy"),
        CheckExample("401", _BINH_CODE, _BINH_NAME, _BINH_DOB, "wrong account password",
                     password="sai-mat-khau"),
    )
}
