#!/bin/sh
# CCaaS external builder, release: tell the peer where the chaincode server is
# (chaincode/server/connection.json). Arguments: BUILD_OUTPUT_DIR
# RELEASE_OUTPUT_DIR.
set -eu
mkdir -p "$2/chaincode/server"
cp "$1/connection.json" "$2/chaincode/server/connection.json"
if [ -d "$1/META-INF/statedb" ]; then mkdir -p "$2/statedb" && cp -R "$1/META-INF/statedb/." "$2/statedb/"; fi
