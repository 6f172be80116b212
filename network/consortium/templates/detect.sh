#!/bin/sh
# CCaaS external builder, detect: accept packages whose metadata.json says
# "type": "ccaas". Arguments: CHAINCODE_SOURCE_DIR CHAINCODE_METADATA_DIR.
# Written by kaiban-net init; it does what Fabric's ccaas_builder does.
set -eu
grep -qiE '"type"[[:space:]]*:[[:space:]]*"ccaas"' "$2/metadata.json"
