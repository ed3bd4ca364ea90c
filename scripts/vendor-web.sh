#!/usr/bin/env bash
# Produces every third-party or generated file the web pages use, so they work inside a hospital
# network with no Internet: the outputs are committed under backend/web/static/ and this script is
# the record of how they were made. Run it again only to upgrade a library or after adding rooms
# whose names use words the voice clips do not have yet (tests/e2e/web/test_vi_words.py says so).
#
#   scripts/vendor-web.sh            everything
#   scripts/vendor-web.sh audio      only the voice clips and the chime (after editing rooms)
#
# Needs: npm (registry access) for the libraries; espeak-ng (Debian package) for the voice clips;
# python3 (stdlib only) for the chime and for trimming the clips.
set -euo pipefail
cd "$(dirname "$0")/.."

SOCKETIO_CLIENT_VERSION=4.8.4
CHARTJS_VERSION=4.6.1

STATIC=backend/web/static
VENDOR=$STATIC/vendor
FONTS=$STATIC/fonts
AUDIO=$STATIC/audio
PY=${PY:-python3}
what=${1:-all}

vendor_libraries() {
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  # npm pack checks each tarball against the registry's integrity hash before writing it.
  (cd "$tmp" && npm pack --silent "socket.io-client@$SOCKETIO_CLIENT_VERSION" "chart.js@$CHARTJS_VERSION" >/dev/null)
  mkdir -p "$tmp/sio" "$tmp/chart" "$VENDOR"
  tar xzf "$tmp/socket.io-client-$SOCKETIO_CLIENT_VERSION.tgz" -C "$tmp/sio" --strip-components=1
  tar xzf "$tmp/chart.js-$CHARTJS_VERSION.tgz" -C "$tmp/chart" --strip-components=1
  cp "$tmp/sio/dist/socket.io.min.js" "$VENDOR/socket.io.min.js"
  cp "$tmp/sio/LICENSE" "$VENDOR/socket.io-client.LICENSE.txt"
  cp "$tmp/chart/dist/chart.umd.js" "$VENDOR/chart.umd.js"
  cp "$tmp/chart/LICENSE.md" "$VENDOR/chart.js.LICENSE.txt"
  # The pages load these from our own server: a source-map comment would make DevTools ask for a
  # file we do not ship, which shows up as a 404 in the logs.
  sed -i '/^\/\/# sourceMappingURL=/d' "$VENDOR/socket.io.min.js" "$VENDOR/chart.umd.js"
  echo "vendored socket.io-client $SOCKETIO_CLIENT_VERSION, chart.js $CHARTJS_VERSION"
  (cd "$VENDOR" && sha256sum socket.io.min.js chart.umd.js)
}

vendor_fonts() {
  # The same Noto Sans the ticket printer uses (copied unmodified from Debian's fonts-noto-core).
  mkdir -p "$FONTS"
  cp printer_drivers/fonts/NotoSans-Regular.ttf printer_drivers/fonts/NotoSans-Bold.ttf "$FONTS/"
  cp printer_drivers/fonts/OFL.txt "$FONTS/OFL.txt"
}

make_chime() {
  mkdir -p "$AUDIO"
  "$PY" - "$AUDIO/chime.wav" <<'PY'
# A two-note "ding-dong" (E5 then C5) with a soft attack and exponential decay, like a lobby chime.
import math, struct, sys, wave

RATE = 22050
def note(freq, seconds, gain):
    out = []
    for i in range(int(RATE * seconds)):
        t = i / RATE
        env = min(1.0, t / 0.01) * math.exp(-3.2 * t)
        # a little second harmonic makes it sound like a bell rather than a test tone
        s = math.sin(2 * math.pi * freq * t) + 0.25 * math.sin(4 * math.pi * freq * t)
        out.append(gain * env * s / 1.25)
    return out

samples = note(659.25, 0.55, 0.6) + note(523.25, 0.9, 0.6)
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(RATE)
    w.writeframes(b"".join(struct.pack("<h", int(max(-1, min(1, s)) * 32767)) for s in samples))
PY
}

make_voice_clips() {
  command -v espeak-ng >/dev/null || { echo "espeak-ng is missing: apt-get install espeak-ng" >&2; exit 1; }
  rm -rf "$AUDIO/vi"
  mkdir -p "$AUDIO/vi"
  "$PY" - "$AUDIO/vi" config/hospital.toml "$(espeak-ng --version | head -1)" <<'PY'
# One clip per word (Vietnamese words are single syllables), so the browser can say any number at
# any room by playing clips one after the other. The vocabulary is fixed for numbers and letters,
# and taken from the configured room names for the rest.
import array, hashlib, json, os, re, subprocess, sys, tomllib, unicodedata, wave

out_dir, config_path, espeak_version = sys.argv[1], sys.argv[2], sys.argv[3]
NUMBERS = "không một hai ba bốn năm sáu bảy tám chín mười mươi mốt lăm tư trăm linh nghìn triệu".split()
PHRASE = ["mời", "số", "đến"]
# How a Vietnamese speaker names each letter of a ticket prefix or a room name (A, B, X-quang…).
LETTERS = {"A": "a", "B": "bê", "C": "xê", "D": "dê", "E": "e", "F": "ép", "G": "giê", "H": "hát",
           "I": "i", "J": "gi", "K": "ca", "L": "e lờ", "M": "em mờ", "N": "en nờ", "O": "o",
           "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét xì", "T": "tê", "U": "u", "V": "vê",
           "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét"}

def nfc(s): return unicodedata.normalize("NFC", s)

with open(config_path, "rb") as f:
    config = tomllib.load(f)
room_words = []
for point in config.get("points", []):
    # Same split as roomTokens() in static/js/vi-words.js: spaces, hyphens, dashes, slashes.
    for token in re.split(r"[\s\-–/]+", nfc(point["name_vi"])):
        if token and not token.isdigit() and not (len(token) == 1 and token.isalpha()):
            room_words.append(token.lower())

def slug(word):
    # "đ" has no decomposition: without this "đến" would become "en".
    plain = word.replace("đ", "d").replace("Đ", "D")
    ascii_part = unicodedata.normalize("NFD", plain).encode("ascii", "ignore").decode().lower()
    ascii_part = re.sub(r"[^a-z0-9]+", "-", ascii_part).strip("-") or "w"
    # Vietnamese words that differ only by tone or diacritics (mười, mươi) must not collide.
    return f"{ascii_part}-{hashlib.sha1(word.encode()).hexdigest()[:6]}"

def trim(path):
    """Cut espeak's leading and trailing silence so consecutive clips sound like one sentence."""
    with wave.open(path, "rb") as w:
        params = w.getparams()
        data = array.array("h", w.readframes(w.getnframes()))
    threshold = 400
    loud = [i for i, s in enumerate(data) if abs(s) > threshold]
    if loud:
        pad = int(params.framerate * 0.02)
        data = data[max(0, loud[0] - pad): min(len(data), loud[-1] + pad)]
    with wave.open(path, "wb") as w:
        w.setparams(params)
        w.writeframes(data.tobytes())

manifest = {"voice": "espeak-ng vi", "generator": espeak_version, "clips": {}}
entries = [(w, w) for w in dict.fromkeys(PHRASE + NUMBERS + room_words)]
entries += [(letter, spoken) for letter, spoken in LETTERS.items()]
for key, spoken in entries:
    name = ("chu-" + key.lower()) if key in LETTERS else slug(key)
    path = os.path.join(out_dir, name + ".wav")
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "140", "-w", path, spoken], check=True)
    trim(path)
    manifest["clips"][key] = name + ".wav"
with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as f:
    json.dump(manifest, f, ensure_ascii=False, indent=1, sort_keys=True)
print(f"{len(manifest['clips'])} clips in {out_dir}")
PY
}

case "$what" in
  all) vendor_libraries; vendor_fonts; make_chime; make_voice_clips ;;
  audio) make_chime; make_voice_clips ;;
  *) echo "usage: $0 [all|audio]" >&2; exit 2 ;;
esac
