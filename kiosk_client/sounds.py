"""Short sound cues, generated with the standard library's `wave` module (nothing downloaded).

ok: two rising notes (card read, payment received); ticket: three notes; error: two low notes;
attention: one soft note. Quiet, short, and different in pitch *and* rhythm, so they are told apart
by someone who hears high notes poorly.
"""
from __future__ import annotations

import math
import os
import struct
import wave
from pathlib import Path

RATE = 22050
CUES: dict[str, list[tuple[float, float]]] = {  # (frequency Hz, seconds); 0 Hz is a pause
    "ok": [(660, 0.09), (0, 0.03), (880, 0.12)],
    "ticket": [(660, 0.08), (0, 0.02), (880, 0.08), (0, 0.02), (1100, 0.16)],
    "error": [(330, 0.16), (0, 0.05), (262, 0.22)],
    "attention": [(523, 0.18)],
}
PACKAGE_DIR = Path(__file__).with_name("sounds")


def _samples(notes: list[tuple[float, float]], volume: float = 0.35) -> bytes:
    frames = bytearray()
    for freq, seconds in notes:
        count = int(RATE * seconds)
        fade = max(1, int(RATE * 0.01))  # 10 ms ramps: no clicks at note edges
        for i in range(count):
            if freq <= 0:
                value = 0.0
            else:
                envelope = min(1.0, i / fade, (count - i) / fade)
                value = volume * envelope * math.sin(2 * math.pi * freq * i / RATE)
            frames += struct.pack("<h", int(value * 32767))
    return bytes(frames)


def write_cue(path: Path, notes: list[tuple[float, float]]) -> None:
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(_samples(notes))
    os.replace(tmp, path)  # a kiosk switched off mid-write must not keep half a file


def ensure_sounds(directory: Path | None = None) -> dict[str, Path]:
    """The cue files, made on first run: in the package when it is writable, else in `directory`."""
    for candidate in [PACKAGE_DIR] + ([directory] if directory else []):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            paths = {}
            for name, notes in CUES.items():
                path = candidate / f"{name}.wav"
                if not path.exists():
                    write_cue(path, notes)
                paths[name] = path
            return paths
        except OSError:
            continue
    return {}
