#!/usr/bin/env bash
# Installs with apt what the product and its tests need, only when something is missing.
# Usage: scripts/system-deps.sh run|test
set -euo pipefail
want=(python3-venv)
if [ "${1:-run}" = "test" ]; then
  want+=(redis-server postgresql chromium xvfb fonts-dejavu-core fonts-noto-core nodejs npm
         libgl1 libegl1 libmtdev1 espeak-ng xmlsec1 nginx logrotate)
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# A Python not from Debian (pyenv, a distro build) already has venv: don't ask apt for it.
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
# node/npm may come from elsewhere than Debian's packages (e.g. NodeSource): accept what is there.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "$(echo "${missing[@]:-}" | xargs)"
[ "${#missing[@]}" -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Cài gói hệ thống / installing system packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
