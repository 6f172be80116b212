#!/usr/bin/env bash
# Installs what unified issuance renders and tests documents with, when
# missing: a CJK TrueType font (Debian fonts-droid-fallback, 4 MB, a single
# .ttf the PDF library can subset), a Latin TrueType font for the letters and
# digits the CJK font lacks (fonts-dejavu-core), and poppler-utils (pdftotext
# and pdftoppm, with which the tests read rendered PDFs back). Changes nothing
# when they are there.
set -euo pipefail
need=()
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || need+=(fonts-droid-fallback)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then
	echo "document fonts and poppler-utils present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "missing ${need[*]}; run as root: apt-get install ${need[*]}" >&2
	exit 1
fi
echo "installing ${need[*]} (apt-get install) ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
echo "installed ${need[*]}"
