"""A small, valid hospital file the settings tests break one key at a time."""

GOOD = """\
[hospital]
code = "19012"
name_vi = "Bệnh viện thử"
name_en = "Test hospital"

[hours]
clinic = "Mon-Fri 07:00-11:30"

[payments]
invoice_ttl_min = 15

[[services]]
code = "KHAM-NOI"
prefix = "C"
name_vi = "Khám Nội"
name_en = "Internal medicine"
fee_vnd = 39000
hours = "clinic"

[[services]]
code = "XN"
prefix = "D"
name_vi = "Xét nghiệm"
name_en = "Laboratory"

[[points]]
code = "P101"
name_vi = "Phòng 101"
name_en = "Room 101"
services = ["KHAM-NOI"]

[appointments]
horizon_days = 30

[[appointments.services]]
service = "KHAM-NOI"
slot_min = 30
"""


def line_of(text, needle, after=0):
    lines = text.splitlines()
    return next(i for i, line in enumerate(lines, 1) if i > after and line.startswith(needle))
