"""Configuration, read in one place: the process environment (`environment.Settings`) and the
hospital's TOML file (`hospital.load_hospital_file`)."""
from .environment import (
    RATE_SETTINGS,
    ROOT,
    InvalidSetting,
    MissingSecret,
    Settings,
    parse_count_per_window,
    require_secret,
)

__all__ = ["RATE_SETTINGS", "ROOT", "InvalidSetting", "MissingSecret", "Settings", "parse_count_per_window",
           "require_secret"]
