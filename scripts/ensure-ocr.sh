#!/usr/bin/env bash
# Make sure the offline OCR engine is installed: Debian's tesseract-ocr with its packaged
# English and orientation (osd) data. Nothing is downloaded at run time; this installs the
# packages once (as root, or with sudo) and is a quick no-op afterwards. Used by `make infra`
# (so `make test`, `make demo` and `.ci/run` reach it).
set -euo pipefail

have_ocr() {
  command -v tesseract >/dev/null 2>&1 &&
    tesseract --list-langs 2>/dev/null | grep -qx eng &&
    tesseract --list-langs 2>/dev/null | grep -qx osd
}

if have_ocr; then
  echo "ocr ok: tesseract with eng and osd"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null 2>&1 || { echo "tesseract-ocr missing and no root to install it" >&2; exit 1; }
  SUDO="sudo"
fi
echo "installing tesseract-ocr (eng, osd)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd >/dev/null
have_ocr && echo "ocr ok: tesseract with eng and osd"
