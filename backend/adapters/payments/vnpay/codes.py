"""Human descriptions (vi first, en second) of VNPay's codes, for staff screens and patient messages."""

from __future__ import annotations

from collections.abc import Mapping

# vnp_ResponseCode on the return URL and IPN.
RESPONSE_CODES: Mapping[str, tuple[str, str]] = {
    "00": ("Giao dịch thành công", "Transaction successful"),
    "07": (
        "Trừ tiền thành công, giao dịch bị nghi ngờ (liên quan tới lừa đảo, giao dịch bất thường)",
        "Money debited, transaction flagged as suspicious (possible fraud or unusual activity)",
    ),
    "09": (
        "Thẻ/Tài khoản chưa đăng ký dịch vụ Internet Banking tại ngân hàng",
        "Card/account is not registered for internet banking",
    ),
    "10": (
        "Xác thực thông tin thẻ/tài khoản không đúng quá 3 lần",
        "Card/account authentication failed more than 3 times",
    ),
    "11": ("Đã hết hạn chờ thanh toán", "Payment window timed out"),
    "12": ("Thẻ/Tài khoản bị khoá", "Card/account is locked"),
    "24": ("Khách hàng huỷ giao dịch", "Customer cancelled the transaction"),
    "51": ("Tài khoản không đủ số dư", "Insufficient balance"),
    "65": ("Tài khoản đã vượt quá hạn mức giao dịch trong ngày", "Daily transaction limit exceeded"),
    "75": ("Ngân hàng thanh toán đang bảo trì", "Paying bank is under maintenance"),
    "99": ("Lỗi khác", "Other error"),
}

# vnp_TransactionStatus on the return URL, IPN and querydr answers.
TRANSACTION_STATUSES: Mapping[str, tuple[str, str]] = {
    "00": ("Giao dịch thành công", "Transaction successful"),
    "01": ("Giao dịch chưa hoàn tất", "Transaction not completed"),
    "02": ("Giao dịch bị lỗi", "Transaction failed"),
    "04": ("Giao dịch đảo (đã trừ tiền tại ngân hàng nhưng chưa thành công ở VNPAY)", "Transaction reversed"),
    "05": ("VNPAY đang xử lý hoàn tiền", "Refund being processed by VNPAY"),
    "06": ("VNPAY đã gửi yêu cầu hoàn tiền sang ngân hàng", "Refund sent to the bank"),
    "07": ("Giao dịch bị nghi ngờ gian lận", "Transaction suspected of fraud"),
    "09": ("Giao dịch hoàn trả bị từ chối", "Refund rejected"),
}

# vnp_ResponseCode of the merchant_webapi (querydr, refund).
API_RESULT_CODES: Mapping[str, tuple[str, str]] = {
    "00": ("Yêu cầu thành công", "Request succeeded"),
    "02": ("Mã định danh kết nối (TmnCode) không hợp lệ", "Invalid TmnCode"),
    "03": ("Dữ liệu gửi sang không đúng định dạng", "Malformed request"),
    "91": ("Không tìm thấy giao dịch yêu cầu", "Transaction not found"),
    "94": ("Yêu cầu bị trùng lặp", "Duplicate request"),
    "95": ("Giao dịch này không thành công bên VNPAY, VNPAY từ chối xử lý yêu cầu", "Refund refused"),
    "97": ("Checksum không hợp lệ", "Invalid checksum"),
    "99": ("Lỗi khác", "Other error"),
}

_UNKNOWN = ("Mã không xác định", "Unknown code")


def describe(table: Mapping[str, tuple[str, str]], code: str | None, lang: str = "vi") -> str:
    vi, en = table.get(code or "", _UNKNOWN)
    return en if lang == "en" else vi


def describe_response_code(code: str | None, lang: str = "vi") -> str:
    return describe(RESPONSE_CODES, code, lang)


def describe_transaction_status(code: str | None, lang: str = "vi") -> str:
    return describe(TRANSACTION_STATUSES, code, lang)


def describe_api_result(code: str | None, lang: str = "vi") -> str:
    return describe(API_RESULT_CODES, code, lang)
