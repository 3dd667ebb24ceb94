#!/usr/bin/env bash
# The demo: start the local simulator of the legacy API, plan and apply examples/minimal
# against it, then plan and apply again to show that a re-run buys nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
fleet="$PWD/bin/fleet"

work=$(mktemp -d)
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export TENCENTCLOUD_SECRET_ID=AKIDfleetDEMO0000000000000000000000
export TENCENTCLOUD_SECRET_KEY=fleetDemoSecretKey00000000000000
unset TENCENTCLOUD_SECURITY_TOKEN

# The simulator prints its endpoint on the first line of stdout.
mkfifo "$work/sim.out"
"$fleet" sim --listen 127.0.0.1:0 --data "$work/sim.json" \
  --secret-id "$TENCENTCLOUD_SECRET_ID" --secret-key "$TENCENTCLOUD_SECRET_KEY" \
  >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
exec 3<"$work/sim.out"
if ! read -r -t 20 endpoint <&3; then
  echo "demo: the simulator did not start:" >&2
  cat "$work/sim.log" >&2
  exit 1
fi
export FLEET_ENDPOINT="$endpoint"
echo "== simulator at $FLEET_ENDPOINT"

cp -R examples/minimal "$work/spec"
cd "$work/spec"

step() {
  echo
  echo "== fleet $*"
  "$fleet" "$@"
}

step plan
step apply --auto-approve
step plan
step apply --auto-approve
