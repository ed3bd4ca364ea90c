"""BHXH card-check gateway adapter (real HTTP client). The simulator lives in backend.simulators.bhxh."""

from backend.adapters.bhxh.client import BhxhClient

__all__ = ["BhxhClient"]
