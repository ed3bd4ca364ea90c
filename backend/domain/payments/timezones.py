"""Vietnam's clock for payment wire formats."""

from datetime import timedelta, timezone

# Vietnam has kept UTC+7 without daylight saving since 1975, and VNPay and the banks write "GMT+7"
# literally, so a fixed offset is exact and needs no tz database.
VIETNAM_TZ = timezone(timedelta(hours=7), "GMT+7")
