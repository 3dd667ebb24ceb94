#!/usr/bin/env bash
# The demo: validate every example.
set -euo pipefail
cd "$(dirname "$0")/.."
for d in examples/*/; do
  echo "== fleet validate $d"
  bin/fleet validate "$d"
done
