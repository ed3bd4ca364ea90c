"""Kiosk configuration, every word in both languages on a font that has every letter, sound cues."""
import os
import unicodedata
import wave

import pytest

from kiosk_client import i18n
from kiosk_client.config import KioskConfigError, config_from_dict, load_config
from kiosk_client.sounds import CUES, ensure_sounds
from printer_drivers.fonts import BOLD_FONT, REGULAR_FONT, mapped_codepoints

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def test_example_config_loads_with_the_token_from_the_environment():
    cfg = load_config(os.path.join(ROOT, "config", "kiosk.example.toml"), {"TIEPDON_KIOSK_TOKEN": "s3cret"})
    assert cfg.device_token == "s3cret" and cfg.language == "vi"
    assert cfg.flow.idle_reset_s == 45 and cfg.heartbeat_s == 30
    assert cfg.printer["kind"] == "network" and cfg.scanner.kind == "wedge"
    assert "s3cret" not in repr(cfg)  # never in a log line


@pytest.mark.parametrize("raw, env, message", [
    ({"kiosk": {"backend_url": "http://x"}}, {}, "TIEPDON_KIOSK_TOKEN"),
    ({"kiosk": {}}, {"TIEPDON_KIOSK_TOKEN": "t"}, "backend_url"),
    ({"kiosk": {"backend_url": "http://x"}, "scanner": {"kind": "serial"}}, {"TIEPDON_KIOSK_TOKEN": "t"},
     "scanner.device"),
    ({"kiosk": {"backend_url": "http://x", "language": "fr"}}, {"TIEPDON_KIOSK_TOKEN": "t"}, "language"),
    ({"kiosk": {"backend_url": "http://x"}, "printer": {"kind": "network"}}, {"TIEPDON_KIOSK_TOKEN": "t"},
     "host"),
    ({"kiosk": {"backend_url": "http://x"}, "timeouts": {"idle": 3}}, {"TIEPDON_KIOSK_TOKEN": "t"},
     "unknown keys"),
])
def test_bad_config_is_refused_with_a_reason(raw, env, message):
    with pytest.raises(KioskConfigError, match=message):
        config_from_dict(raw, env)


def test_backend_url_can_come_from_the_environment():
    cfg = config_from_dict({"kiosk": {}}, {"TIEPDON_KIOSK_TOKEN": "t", "TIEPDON_KIOSK_BACKEND": "http://b:1"})
    assert cfg.backend_url == "http://b:1" and cfg.printer is None


def test_every_kiosk_word_exists_in_both_languages_and_is_nfc():
    for table in (i18n.S, i18n.PROBLEM_TEXT, i18n.PRIORITY_TEXT):
        for key, text in table.items():
            assert text.vi.strip() and text.en.strip(), key
            assert unicodedata.is_normalized("NFC", text.vi), key


def test_the_kiosk_font_draws_every_letter_the_kiosk_can_show():
    # Kivy's bundled Roboto happens to cover Vietnamese too, but the kiosk uses the printer's Noto
    # Sans so the screen and the paper agree; this proves it has every glyph we need, bold included.
    sample = "".join(i18n.all_texts()) + "ĂÂĐÊÔƠƯăâđêôơư" + "ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ"
    sample += sample.lower() + "0123456789 đ–·"
    for font in (REGULAR_FONT, BOLD_FONT):
        covered = mapped_codepoints(font)
        missing = sorted({ch for ch in sample if ch.strip() and ord(ch) not in covered})
        assert missing == [], (font.name, missing)


def test_money_and_wait_formats():
    assert i18n.vnd(39000) == "39.000 đ" and i18n.vnd(1250000) == "1.250.000 đ" and i18n.vnd(0) == "0 đ"
    assert i18n.wait_text(15, "vi") == "khoảng 15 phút" and i18n.wait_text(15, "en") == "about 15 min"
    assert i18n.short_wait(0, "vi") == ""


def test_sound_cues_are_short_valid_wav_files(tmp_path, monkeypatch):
    import kiosk_client.sounds as sounds

    monkeypatch.setattr(sounds, "PACKAGE_DIR", tmp_path / "pkg")
    paths = ensure_sounds(tmp_path / "fallback")
    assert set(paths) == set(CUES)
    for name, path in paths.items():
        with wave.open(str(path)) as w:
            seconds = w.getnframes() / w.getframerate()
            assert w.getnchannels() == 1 and w.getsampwidth() == 2
            assert 0.1 < seconds < 1.0, name
            frames = w.readframes(w.getnframes())
            assert max(frames) > 0  # not silence
