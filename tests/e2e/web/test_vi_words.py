"""The pure JavaScript of the pages, run under Node exactly as the browser loads it: Vietnamese
number words for the lobby voice, the waiting-list ordering, and the voice clips it needs."""
import json
import os
import tomllib
import wave

import pytest

from tests.support.app import CONFIG

from .helpers import run_node

STATIC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "backend", "web", "static")
JS = os.path.abspath(os.path.join(STATIC, "js"))


def call_js(module: str, calls: list[tuple[str, list]]) -> list:
    """Imports static/js/<module> as an ES module and returns [fn(*args) for each call]."""
    url = "file://" + os.path.join(JS, module)
    script = (f"const m = await import({json.dumps(url)});\n"
              f"const calls = {json.dumps(calls)};\n"
              "console.log(JSON.stringify(calls.map(([fn, args]) => m[fn](...args))));")
    return json.loads(run_node(script))


NUMBERS = {
    0: "không", 1: "một", 4: "bốn", 5: "năm", 10: "mười", 11: "mười một", 14: "mười bốn",
    15: "mười lăm", 20: "hai mươi", 21: "hai mươi mốt", 24: "hai mươi tư", 25: "hai mươi lăm",
    55: "năm mươi lăm", 100: "một trăm", 101: "một trăm linh một", 105: "một trăm linh năm",
    110: "một trăm mười", 111: "một trăm mười một", 115: "một trăm mười lăm",
    121: "một trăm hai mươi mốt", 999: "chín trăm chín mươi chín", 1000: "một nghìn",
    1005: "một nghìn không trăm linh năm", 1012: "một nghìn không trăm mười hai",
    1234: "một nghìn hai trăm ba mươi tư", 21000: "hai mươi mốt nghìn",
}


def test_numbers_are_read_the_vietnamese_way():
    got = call_js("vi-words.js", [("numberWords", [n]) for n in NUMBERS])
    assert dict(zip(NUMBERS, got)) == NUMBERS


def test_ticket_numbers_keep_their_zero_padding_and_letters():
    cases = {"N012": "N không trăm mười hai", "A001": "A không trăm linh một",
             "C100": "C một trăm", "X015": "X không trăm mười lăm", "K021": "K không trăm hai mươi mốt",
             "N1234": "N một nghìn hai trăm ba mươi tư"}
    got = call_js("vi-words.js", [("displayNumberWords", [k]) for k in cases])
    assert dict(zip(cases, got)) == cases


def test_the_whole_call_sentence():
    got = call_js("vi-words.js", [
        ("callSentence", ["N012", "Phòng khám 101"]),
        ("callSentence", ["H007", "Phòng X-quang 111"]),
        ("callTokens", ["B003", "Quầy 3"]),
    ])
    assert got[0] == "Mời số N không trăm mười hai đến phòng khám một trăm linh một"
    assert got[1] == "Mời số H không trăm linh bảy đến phòng X quang một trăm mười một"
    assert got[2] == ["mời", "số", "B", "không", "trăm", "linh", "ba", "đến", "quầy", "ba"]


def test_a_malformed_number_is_refused_not_misread():
    script = (f"const m = await import({json.dumps('file://' + os.path.join(JS, 'vi-words.js'))});\n"
              "for (const bad of ['', 'N-12', '12A', 'N01 2']) {\n"
              "  try { m.displayNumberWords(bad); console.log('accepted ' + bad); }\n"
              "  catch (e) { console.log(e.name); }\n}")
    assert run_node(script).split() == ["RangeError"] * 4


def test_waiting_list_follows_positions_from_the_events():
    a, b, c = ({"id": i, "status": "waiting"} for i in "abc")
    got = call_js("waiting.js", [
        ("applyWaiting", [[a, b], {"id": "c", "status": "waiting", "position": 3}]),
        # a priority ticket goes in at the place the server gave it
        ("applyWaiting", [[a, b], {"id": "c", "status": "waiting", "position": 1}]),
        # called: gone from the list
        ("applyWaiting", [[a, b, c], {"id": "a", "status": "called", "position": None}]),
        # a requeued no-show comes back at its new place
        ("applyWaiting", [[a, b], {"id": "a", "status": "waiting", "position": 2}]),
    ])
    assert [[t["id"] for t in r] for r in got] == [["a", "b", "c"], ["c", "a", "b"], ["b", "c"], ["b", "a"]]


def _manifest() -> dict:
    with open(os.path.join(STATIC, "audio", "vi", "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def test_every_configured_room_can_be_called_with_the_shipped_clips():
    """A room added to the config with a word the clips lack would be announced with a hole in
    it: scripts/vendor-web.sh audio must be run again (docs/web.md)."""
    with open(CONFIG, "rb") as f:
        config = tomllib.load(f)
    prefixes = {s["prefix"] for s in config["services"]}
    calls = [("callTokens", [f"{prefix}{n:03d}", p["name_vi"]])
             for p in config["points"] for prefix in prefixes for n in (1, 15, 21, 105, 999)]
    clips = _manifest()["clips"]
    missing = {tok for tokens in call_js("vi-words.js", calls) for tok in tokens if tok not in clips}
    assert not missing


@pytest.mark.parametrize("name", ["chime.wav"] + sorted(set(_manifest()["clips"].values())))
def test_audio_files_are_short_mono_wav(name):
    path = os.path.join(STATIC, "audio", name if name == "chime.wav" else os.path.join("vi", name))
    with wave.open(path) as w:
        seconds = w.getnframes() / w.getframerate()
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
    assert 0.05 < seconds < 2.0
