#!/usr/bin/env bash
# The demo: start the local simulator of the legacy API, plan and apply examples/minimal
# against it, then plan and apply again to show that a re-run buys nothing.
#
# With FLEET_DEMO_BACKEND=postgres the state goes to the PostgreSQL server at FLEET_PG_URL
# (`make demo-pg` starts a throwaway one): the spec gets a backend "postgres" block.
set -euo pipefail
cd "$(dirname "$0")/.."
fleet="$PWD/bin/fleet"

backend="${FLEET_DEMO_BACKEND:-file}"
case "$backend" in
  file) ;;
  postgres)
    if [ -z "${FLEET_PG_URL:-}" ]; then
      echo "demo: FLEET_DEMO_BACKEND=postgres needs FLEET_PG_URL (make demo-pg sets it)" >&2
      exit 1
    fi
    ;;
  *)
    echo "demo: FLEET_DEMO_BACKEND is \"$backend\", not \"file\" or \"postgres\"" >&2
    exit 1
    ;;
esac

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

if [ "$backend" = postgres ]; then
  # Put the backend block first in the spec's fleet block.
  awk '
    { print }
    !done && /^fleet "[^"]*"[[:space:]]*\{[[:space:]]*$/ {
      print "  backend \"postgres\" {"
      print "    schema = \"fleet_demo\""
      print "  }"
      print ""
      done = 1
    }
  ' main.fleet.hcl >main.fleet.hcl.new
  mv main.fleet.hcl.new main.fleet.hcl
  if ! grep -q '^  backend "postgres" {' main.fleet.hcl; then
    echo "demo: no fleet block to put the postgres backend in" >&2
    exit 1
  fi
  echo "== state in PostgreSQL, schema fleet_demo"
fi

step() {
  echo
  echo "== fleet $*"
  "$fleet" "$@"
}

step plan
step apply --auto-approve
step plan
step apply --auto-approve
