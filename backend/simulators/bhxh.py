"""BHXH card-check gateway simulator: same wire format as egw.baohiemxahoi.gov.vn (specs/bhxh.md).

Run it:  ``python -m backend.simulators.bhxh --port 8091``  (account ``12345_BV`` / ``matkhau-demo``)
In tests: ``running = start_in_thread(create_bhxh_simulator(token_lifetime_s=2))`` … ``running.stop()``

What it checks, in the gateway's order:
1. token: ``token``/``id_token`` issued by us and not expired, ``username`` and ``password`` (UPPERCASE
   MD5 hex) of the account → otherwise HTTP 401 ``{"maKetQua": "401"}``; a token take with a wrong
   password is also HTTP 401;
2. request format: all five fields present, ``ngaySinh`` ``dd/mm/yyyy`` or ``yyyy``, ``cccdCb`` 12
   digits → otherwise ``205``;
3. duty staff: ``cccdCb`` registered → else ``054``; ``hoTenCb`` is that person's name → else ``055``;
4. card: by exact 15-character code, by 10-digit BHXH number, or by 12-digit CCCD number → else
   ``050``; a 15-character code whose BHXH number is known but whose prefix differs answers ``051``
   (group letters), ``053`` (benefit level, character 3) or ``052`` (province, characters 4–5);
5. person: name (NFC, case and spacing ignored) → ``061`` when only the first letter matches, else
   ``060``; date of birth text → ``070``;
6. otherwise the card's own ``result_code`` from the table below.

Seeded table (``bhxh_data.RESULT_CODE_EXAMPLES`` holds the exact request for each code):

| maKetQua | how to get it |
|---|---|
| 000 | DN4010123456789 or 0123456789, Trần Thị Bình, 15/08/1990 (spec example); CCCD 001090012345 Nguyễn Văn An 15/08/1990 (card DN4010190012345); CCCD 079305001234 Trần Thị Mai 02/02/2005 (card SV4797905001234); HT2140000001940 Lò Văn Pành, year only 1940 |
| 001 | QN5010000000001 Phạm Văn Hùng 20/11/1975 |
| 002 | CA5010000000002 Lê Văn Cường 05/05/1980 |
| 003 | HT3010000000003 Đỗ Thị Lan 12/12/1950 → maTheMoi HT2010000000003 (itself 000) |
| 004 | HN2010000000004 Vũ Văn Nam 01/01/1962 → maTheMoi HN1010000000004 (itself 000) |
| 010 | GD4010000000010 Hoàng Thị Thu 23/04/1988 |
| 050 | any unknown card, e.g. DN4019999999999 |
| 051 / 052 / 053 | HS4010123456789 / DN4790123456789 / DN3010123456789 with Bình's name and birth date |
| 054 | Bình's card with a staff CCCD that is not registered (e.g. 001099999999) |
| 055 | Bình's card with a registered staff CCCD but another staff name |
| 060 / 061 | Bình's card with "Lê Văn Tám" / "Trương Thị Bình" |
| 070 | Bình's card with 16/08/1990 |
| 100 / 101 | GD4010000000100 Bùi Văn Tư 09/09/1995 / DN4010000000101 Đặng Thị Hoa 14/02/1983 |
| 110 | DN4010000000110 Ngô Văn Sơn 30/06/1979 |
| 120–124 | DN4010000000120 Phan Thị Hạnh 03/03/1991, DN4010000000121 Trịnh Văn Long 07/07/1970, HT2010000000122 Mai Thị Hồng 11/11/1945, GD4010000000123 Đinh Văn Quang 21/01/1999, HS4010000000124 Lý Thị Ngọc 15/09/2008 |
| 130 | personal ID 001222012345 Nguyễn Minh Khôi 10/03/2022 (child without a card) |
| 205 | Bình's card with ngaySinh 1990-08-15 |
| 401 | a wrong account password, an expired or revoked token |

Registered duty staff: 001185001111 Phạm Thị Hương (default), 001088002222 Lê Văn Đức.
Validity dates are returned as stored; the result code comes from the table, not from today's date.

Control endpoints (simulator only, never on the real gateway):
- ``GET|POST /_sim/config`` — ``{"latency_ms": 50, "mode": "ok"|"down"|"error500"|"timeout"|"garbage",
  "force_code": "101"|null, "token_lifetime_s": 2, "expires_format": "iso"|"epoch", "hang_s": 10}``.
  ``down`` answers 503, ``error500`` 500, ``timeout`` holds the request ``hang_s`` seconds (then 504),
  ``garbage`` answers 200 with an HTML page;
  ``force_code`` answers that maKetQua to every authenticated, well-formed check.
- ``GET /_sim/calls`` — ``{"card_checks", "token_takes", "results": {"000": n, …}}``;
- ``POST /_sim/reset`` (counters, config, tokens), ``POST /_sim/revoke_tokens``;
- ``GET /_sim/cards``, ``POST /_sim/cards`` (add one card, ``SimCard`` fields as JSON);
- ``GET /_sim/examples`` — the request for every result code.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import secrets
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, jsonify, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from backend.simulators.bhxh_data import (
    DEFAULT_ACCOUNT,
    REGISTERED_STAFF,
    RESULT_CODE_EXAMPLES,
    SEEDED_CARDS,
    SimAccount,
    SimCard,
)

log = logging.getLogger("backend.simulators.bhxh")  # same name when run with -m

EXTENSION_KEY = "bhxh_simulator"
MODES = ("ok", "down", "error500", "timeout", "garbage")
_DOB = re.compile(r"\d{2}/\d{2}/\d{4}|\d{4}", re.ASCII)
_CARD_15 = re.compile(r"[A-Z]{2}[1-5]\d{12}", re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)
_REQUIRED_FIELDS = ("maThe", "hoTen", "ngaySinh", "hoTenCb", "cccdCb")

GHI_CHU = {
    "000": "Thông tin thẻ chính xác",
    "001": "Thẻ do BHXH Bộ Quốc Phòng quản lý, đề nghị kiểm tra thẻ và thông tin giấy tờ tùy thân",
    "002": "Thẻ do BHXH Bộ Công An quản lý, đề nghị kiểm tra thẻ và thông tin giấy tờ tùy thân",
    "003": "Thẻ cũ hết giá trị sử dụng nhưng đã được cấp thẻ mới",
    "004": "Thẻ cũ còn giá trị sử dụng nhưng đã được cấp thẻ mới",
    "010": "Thẻ hết giá trị sử dụng",
    "050": "Không thấy thông tin thẻ BHYT",
    "051": "Mã thẻ không đúng",
    "052": "Mã tỉnh cấp thẻ (kí tự thứ 4,5 của mã thẻ) không đúng",
    "053": "Mã quyền lợi thẻ (kí tự thứ 3 của mã thẻ) không đúng",
    "054": "CCCD của cán bộ chưa được đăng ký",
    "055": "Họ tên cán bộ không khớp với CCCD",
    "060": "Thẻ sai họ tên",
    "061": "Thẻ sai họ tên (đúng ký tự đầu)",
    "070": "Thẻ sai ngày sinh",
    "100": "Lỗi khi lấy dữ liệu số thẻ",
    "101": "Lỗi server",
    "110": "Thẻ đã thu hồi",
    "120": "Thẻ đã báo giảm",
    "121": "Thẻ đã báo giảm. Giảm chuyển ngoại tỉnh",
    "122": "Thẻ đã báo giảm. Giảm chuyển nội tỉnh",
    "123": "Thẻ đã báo giảm. Thu hồi do tăng lại cùng đơn vị",
    "124": "Thẻ đã báo giảm. Ngừng tham gia",
    "130": "Trẻ em không xuất trình thẻ",
    "205": "Lỗi sai định dạng tham số",
    "401": "Lỗi xác thực tài khoản",
}


@dataclass
class SimConfig:
    latency_ms: int = 0
    mode: str = "ok"
    force_code: str | None = None
    token_lifetime_s: float = 3600.0
    expires_format: str = "iso"
    hang_s: float = 10.0

    def updated(self, changes: Mapping[str, Any]) -> SimConfig:
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown setting(s): {sorted(unknown)}")
        candidate = replace(self, **changes)
        if candidate.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if candidate.expires_format not in ("iso", "epoch"):
            raise ValueError("expires_format must be iso or epoch")
        if int(candidate.latency_ms) < 0 or float(candidate.token_lifetime_s) < 0 or float(candidate.hang_s) < 0:
            raise ValueError("durations must not be negative")
        candidate.latency_ms = int(candidate.latency_ms)
        candidate.token_lifetime_s = float(candidate.token_lifetime_s)
        candidate.hang_s = float(candidate.hang_s)
        if candidate.force_code is not None:
            candidate.force_code = str(candidate.force_code)
        return candidate


@dataclass(frozen=True)
class _IssuedToken:
    id_token: str
    username: str
    expires_at: float


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _name_key(name: str) -> str:
    return " ".join(_nfc(name).casefold().split())


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


class SimulatorState:
    """The simulator's storage and switches; one per app, guarded by one lock."""

    def __init__(
        self,
        cards: Iterable[SimCard],
        account: SimAccount,
        staff: Mapping[str, str],
        config: SimConfig,
        clock: Callable[[], float],
    ) -> None:
        self._lock = threading.Lock()
        self._initial_config = config
        self.config = config
        self.account = account
        self.staff = {cccd: _nfc(name) for cccd, name in staff.items()}
        self.clock = clock
        self._cards: list[SimCard] = []
        self._by_code: dict[str, SimCard] = {}
        self._by_number: dict[str, SimCard] = {}
        self._by_cccd: dict[str, SimCard] = {}
        self._tokens: dict[str, _IssuedToken] = {}
        self._lookups: dict[str, list[dict[str, str]]] = {}
        self.card_checks = 0
        self.token_takes = 0
        self.results: Counter[str] = Counter()
        self._wake = threading.Event()
        for card in cards:
            self.add_card(card)

    # --- storage -----------------------------------------------------------------------------------

    def add_card(self, card: SimCard) -> None:
        with self._lock:
            self._cards.append(card)
            if card.ma_the:
                self._by_code[card.ma_the] = card
                number = card.ma_so_bhxh or ""
                current = self._by_number.get(number)
                # An old card replaced by a new one must not shadow the new one in number look-ups.
                if current is None or current.ma_the_moi:
                    self._by_number[number] = card
            if card.cccd:
                self._by_cccd[card.cccd] = card

    def cards(self) -> list[SimCard]:
        with self._lock:
            return list(self._cards)

    def find(self, ma_the: str) -> tuple[SimCard | None, str | None]:
        """(card, code override): override is 050/051/052/053 when the code itself is wrong."""
        with self._lock:
            if ma_the in self._by_code:
                return self._by_code[ma_the], None
            if len(ma_the) == 10 and ma_the in self._by_number:
                return self._by_number[ma_the], None
            if len(ma_the) == 12 and ma_the in self._by_cccd:
                return self._by_cccd[ma_the], None
            if len(ma_the) == 15 and ma_the[-10:] in self._by_number:
                known = self._by_number[ma_the[-10:]].ma_the or ""
                if not _CARD_15.fullmatch(ma_the) or ma_the[:2] != known[:2]:
                    return None, "051"
                if ma_the[2] != known[2]:
                    return None, "053"
                return None, "052"
            return None, "050"

    def record_lookup(self, card: SimCard, entry: dict[str, str]) -> list[dict[str, str]]:
        key = card.ma_the or card.cccd or ""
        with self._lock:
            history = self._lookups.setdefault(key, [])
            history.append(entry)
            del history[:-20]
            return list(history)

    # --- tokens ------------------------------------------------------------------------------------

    def issue_token(self) -> tuple[str, _IssuedToken]:
        access = secrets.token_hex(24)
        issued = _IssuedToken(
            id_token=secrets.token_hex(16),
            username=self.account.username,
            expires_at=self.clock() + self.config.token_lifetime_s,
        )
        with self._lock:
            self._tokens[access] = issued
        return access, issued

    def token_valid(self, access: str, id_token: str) -> bool:
        with self._lock:
            issued = self._tokens.get(access)
        return issued is not None and issued.id_token == id_token and self.clock() < issued.expires_at

    def revoke_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    # --- switches and counters ---------------------------------------------------------------------

    def configure(self, changes: Mapping[str, Any]) -> SimConfig:
        with self._lock:
            self.config = self.config.updated(changes)
        self.release_hangs()
        return self.config

    def count(self, what: str) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)

    def count_result(self, code: str) -> None:
        with self._lock:
            self.results[code] += 1

    def calls(self) -> dict[str, Any]:
        with self._lock:
            return {
                "card_checks": self.card_checks,
                "token_takes": self.token_takes,
                "results": dict(self.results),
            }

    def reset(self) -> None:
        with self._lock:
            self.config = self._initial_config
            self.card_checks = 0
            self.token_takes = 0
            self.results.clear()
            self._tokens.clear()
            self._lookups.clear()
        self.release_hangs()

    def pause(self, seconds: float) -> None:
        """Sleep that a reset, a config change or server stop cuts short."""
        if seconds > 0:
            self._wake.wait(seconds)

    def release_hangs(self) -> None:
        # Wake everyone currently paused, then arm a fresh event for future pauses.
        old, self._wake = self._wake, threading.Event()
        old.set()


def create_bhxh_simulator(
    seed: Iterable[SimCard] | None = None,
    *,
    account: SimAccount = DEFAULT_ACCOUNT,
    staff: Mapping[str, str] | None = None,
    token_lifetime_s: float = 3600.0,
    latency_ms: int = 0,
    mode: str = "ok",
    expires_format: str = "iso",
    clock: Callable[[], float] = time.time,
) -> Flask:
    """A Flask app speaking the gateway's wire format. ``seed``: the cards in storage (default:
    ``SEEDED_CARDS``, which cover every result code). Its state is at ``app.extensions[EXTENSION_KEY]``."""
    config = SimConfig().updated(
        {"token_lifetime_s": token_lifetime_s, "latency_ms": latency_ms, "mode": mode,
         "expires_format": expires_format}
    )
    state = SimulatorState(
        SEEDED_CARDS if seed is None else seed,
        account,
        REGISTERED_STAFF if staff is None else staff,
        config,
        clock,
    )
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = state
    _register_gateway_routes(app, state)
    _register_control_routes(app, state)
    return app


# --- gateway ---------------------------------------------------------------------------------------


def _fault_response(state: SimulatorState):
    """Latency first, then the configured outage, if any."""
    config = state.config
    state.pause(config.latency_ms / 1000.0)
    if config.mode == "down":
        return jsonify({"maKetQua": "503", "ghiChu": "Hệ thống đang bảo trì"}), 503
    if config.mode == "error500":
        return jsonify({"maKetQua": "500", "ghiChu": "Lỗi hệ thống"}), 500
    if config.mode == "timeout":
        state.pause(config.hang_s)
        return jsonify({"maKetQua": "504", "ghiChu": "Quá thời gian xử lý"}), 504
    if config.mode == "garbage":
        # What a captive proxy or a half-deployed gateway answers: 200, but not the gateway's JSON.
        return "<html><body>Proxy error</body></html>", 200, {"Content-Type": "text/html"}
    return None


def _unauthorized():
    return jsonify({"maKetQua": "401", "ghiChu": GHI_CHU["401"]}), 401


def _expires_text(state: SimulatorState, expires_at: float) -> str | float:
    if state.config.expires_format == "epoch":
        return round(expires_at, 3)
    moment = datetime.fromtimestamp(expires_at, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _register_gateway_routes(app: Flask, state: SimulatorState) -> None:
    @app.post("/api/token/take")
    def take_token():
        state.count("token_takes")
        fault = _fault_response(state)
        if fault is not None:
            return fault
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        if username != state.account.username or password != _md5_upper(state.account.password):
            return _unauthorized()
        access, issued = state.issue_token()
        return jsonify(
            {
                "maKetQua": "200",
                "APIKey": {
                    "access_token": access,
                    "id_token": issued.id_token,
                    "token_type": "Bearer",
                    "username": issued.username,
                    "expires_in": _expires_text(state, issued.expires_at),
                },
            }
        )

    @app.post("/api/egw/KQNhanLichSuKCB2024")
    def check_card():
        state.count("card_checks")
        fault = _fault_response(state)
        if fault is not None:
            return fault
        args = request.args
        authorised = (
            args.get("username") == state.account.username
            and args.get("password") == _md5_upper(state.account.password)
            and state.token_valid(args.get("token", ""), args.get("id_token", ""))
        )
        if not authorised:
            state.count_result("401")
            return _unauthorized()
        body = request.get_json(silent=True)
        code, card = _evaluate(state, body)
        state.count_result(code)
        history = []
        if card is not None:
            history = state.record_lookup(
                card,
                {
                    "userKT": state.account.username,
                    "thoiGianKT": datetime.now(timezone.utc).strftime("%Y%m%d%H%M"),
                    "thongBao": GHI_CHU.get(code, ""),
                    "maLoi": code,
                },
            )
        return jsonify(_answer(code, card, history))


def _evaluate(state: SimulatorState, body: object) -> tuple[str, SimCard | None]:
    if not isinstance(body, dict) or any(
        not isinstance(body.get(name), str) or not body[name].strip() for name in _REQUIRED_FIELDS
    ):
        return "205", None
    ma_the = body["maThe"].strip()
    ngay_sinh = body["ngaySinh"].strip()
    cccd_cb = body["cccdCb"].strip()
    if not _DOB.fullmatch(ngay_sinh) or not (_DIGITS.fullmatch(cccd_cb) and len(cccd_cb) == 12):
        return "205", None
    registered_name = state.staff.get(cccd_cb)
    if registered_name is None:
        return "054", None
    if _name_key(body["hoTenCb"]) != _name_key(registered_name):
        return "055", None

    card, wrong_code = state.find(ma_the)
    if card is None:
        return wrong_code or "050", None
    sent, known = _name_key(body["hoTen"]), _name_key(card.ho_ten)
    if sent != known:
        return ("061" if sent[:1] == known[:1] else "060"), None
    if ngay_sinh != card.ngay_sinh:
        return "070", None
    forced = state.config.force_code
    return (forced or card.result_code), card


_CARD_ANSWER_FIELDS = (
    "maThe", "hoTen", "ngaySinh", "gioiTinh", "diaChi", "maDKBD", "cqBHXH", "gtTheTu", "gtTheDen",
    "maKV", "ngayDu5Nam", "maSoBHXH", "maTheCu", "maTheMoi", "gtTheTuMoi", "gtTheDenMoi", "maDKBDMoi",
    "tenDKBDMoi",
)


def _answer(code: str, card: SimCard | None, history: list[dict[str, str]]) -> dict[str, Any]:
    answer: dict[str, Any] = {"maKetQua": code, "ghiChu": GHI_CHU.get(code, "")}
    if card is None:
        answer.update(dict.fromkeys(_CARD_ANSWER_FIELDS))
        answer["dsLichSuKCB2018"] = None
        answer["dsLichSuKT2018"] = None
        return answer
    answer.update(
        {
            "maThe": card.ma_the,
            "hoTen": card.ho_ten,
            "ngaySinh": card.ngay_sinh,
            "gioiTinh": card.gioi_tinh,
            "diaChi": card.dia_chi,
            "maDKBD": card.ma_dkbd,
            "cqBHXH": card.cq_bhxh,
            "gtTheTu": card.gt_the_tu,
            "gtTheDen": card.gt_the_den,
            "maKV": card.ma_kv,
            "ngayDu5Nam": card.ngay_du_5_nam,
            "maSoBHXH": card.ma_so_bhxh,
            "maTheCu": None,
            "maTheMoi": card.ma_the_moi,
            "gtTheTuMoi": card.gt_the_tu_moi,
            "gtTheDenMoi": card.gt_the_den_moi,
            "maDKBDMoi": card.ma_dkbd_moi,
            "tenDKBDMoi": card.ten_dkbd_moi,
            "dsLichSuKCB2018": [
                {
                    "maHoSo": visit.ma_ho_so,
                    "maCSKCB": visit.ma_cskcb,
                    "ngayVao": visit.ngay_vao,
                    "ngayRa": visit.ngay_ra,
                    "tenBenh": visit.ten_benh,
                    "tinhTrang": visit.tinh_trang,
                    "kqDieuTri": visit.kq_dieu_tri,
                    "lyDoVV": visit.ly_do_vv,
                }
                for visit in card.visits
            ],
            "dsLichSuKT2018": history,
        }
    )
    return answer


# --- control ---------------------------------------------------------------------------------------


def _register_control_routes(app: Flask, state: SimulatorState) -> None:
    @app.get("/_sim/health")
    def sim_health():
        return jsonify({"status": "ok"})

    @app.get("/_sim/config")
    def sim_get_config():
        return jsonify(asdict(state.config))

    @app.post("/_sim/config")
    def sim_set_config():
        changes = request.get_json(silent=True)
        if not isinstance(changes, dict):
            return jsonify({"error": "JSON object expected"}), 400
        try:
            config = state.configure(changes)
        except (TypeError, ValueError) as error:
            return jsonify({"error": str(error)}), 400
        return jsonify(asdict(config))

    @app.get("/_sim/calls")
    def sim_calls():
        return jsonify(state.calls())

    @app.post("/_sim/reset")
    def sim_reset():
        state.reset()
        return jsonify(state.calls())

    @app.post("/_sim/revoke_tokens")
    def sim_revoke_tokens():
        state.revoke_tokens()
        return jsonify({"revoked": True})

    @app.get("/_sim/cards")
    def sim_cards():
        return jsonify([card.to_json() for card in state.cards()])

    @app.post("/_sim/cards")
    def sim_add_card():
        data = request.get_json(silent=True)
        try:
            card = SimCard.from_json(data)  # type: ignore[arg-type]
        except (TypeError, ValueError, AttributeError) as error:
            return jsonify({"error": str(error)}), 400
        state.add_card(card)
        return jsonify(card.to_json()), 201

    @app.get("/_sim/examples")
    def sim_examples():
        return jsonify({code: asdict(example) for code, example in RESULT_CODE_EXAMPLES.items()})


# --- serving ---------------------------------------------------------------------------------------

_QUERY = re.compile(r"\?\S*")


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug logs every request line at INFO, query string included — and the gateway's query
    string carries the token and password hash. Log method, path and status at DEBUG instead."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 (werkzeug's signature)
        log.debug("%s", _QUERY.sub("?<redacted>", message % args if args else message))


@dataclass
class RunningSimulator:
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    @property
    def state(self) -> SimulatorState:
        return self.app.extensions[EXTENSION_KEY]

    def stop(self) -> None:
        self.state.release_hangs()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> RunningSimulator:
    """Serve ``app`` on a background thread (port 0: any free port; see ``.url``)."""
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    # A short poll interval: shutdown() waits up to one interval, and tests stop a server per test.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="bhxh-simulator", daemon=True
    )
    thread.start()
    return RunningSimulator(app, server, thread)


def serve(host: str = "127.0.0.1", port: int = 8091, **options: Any) -> None:
    """Blocking: run the simulator until interrupted."""
    app = create_bhxh_simulator(**options)
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    log.info("BHXH simulator listening on http://%s:%d", host, server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="BHXH card-check gateway simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--token-lifetime", type=float, default=3600.0, help="seconds")
    parser.add_argument("--latency-ms", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(args.host, args.port, token_lifetime_s=args.token_lifetime, latency_ms=args.latency_ms)


if __name__ == "__main__":
    main()
