#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages edms needs to run its demo and its tests, when missing.
# Usage: scripts/install-deps.sh [demo|test]
set -euo pipefail

need_demo=(postgresql fonts-dejavu-core fonts-liberation2)
need_test=("${need_demo[@]}" postgresql-contrib poppler-utils qpdf xmlsec1 libxml2-utils softhsm2 opensc chromium libnss3-tools libreoffice-writer-nogui time openssl hyperfine)

case "${1:-test}" in
  demo) wanted=("${need_demo[@]}") ;;
  test) wanted=("${need_test[@]}") ;;
  *) echo "usage: $0 [demo|test]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
