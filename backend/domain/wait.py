"""Estimated wait: people ahead ÷ open service points × recent service time.

The recent service time is an exponential moving average per service, so one unusually long
consultation nudges the estimate instead of doubling it.
"""
import math

EMA_WEIGHT = 0.2
# Service times outside this band are mistakes (a ticket finished seconds after start, or left
# open over lunch) and would poison the average.
MIN_SAMPLE_S = 20
MAX_SAMPLE_S = 3600


def updated_average(previous_s: float, sample_s: float) -> float:
    if not (MIN_SAMPLE_S <= sample_s <= MAX_SAMPLE_S):
        return previous_s
    return previous_s + EMA_WEIGHT * (sample_s - previous_s)


def estimate_wait_min(people_ahead: int, open_points: int, avg_service_s: float) -> int:
    points = max(open_points, 1)
    return int(math.ceil(people_ahead * avg_service_s / points / 60.0))
