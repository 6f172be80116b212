#!/bin/sh
# CCaaS external builder, build: the package's code is only connection.json
# (and optional META-INF). Arguments: CHAINCODE_SOURCE_DIR
# CHAINCODE_METADATA_DIR BUILD_OUTPUT_DIR.
set -eu
[ -f "$1/connection.json" ] || { echo "connection.json missing from the chaincode package" >&2; exit 1; }
cp "$1/connection.json" "$3/connection.json"
if [ -d "$1/META-INF" ]; then cp -R "$1/META-INF" "$3/META-INF"; fi
