#!/usr/bin/env bash
# bench-plan.sh measures the whole `fleet plan` process on the CI steady state: a fleet whose
# every instance is already bought. For 2,000 and 20,000 groups of 10 instances it generates
# the spec and the state in a temporary directory, once with every attribute written in every
# group (full) and once with groups that set only count under defaults (count), and prints the
# wall time, CPU time (user + system) and peak RSS of `fleet plan --detailed-exitcode` (which
# must exit 0: no changes). Each figure is the best of RUNS runs (default 3); on a loaded
# machine the CPU time is the steadier one.
#
# With STATE_BACKEND=postgres the state is pushed into the PostgreSQL server at FLEET_PG_URL
# (the spec gets a backend "postgres" block, each size a schema of its own) and the plan reads
# it from there; `go run ./internal/pgtest/cmd/pgtmp -- env STATE_BACKEND=postgres
# scripts/bench-plan.sh` runs it on a throwaway server.
#
# Usage: scripts/bench-plan.sh [GROUPS...]   (default: 2000 20000)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2000 20000)
runs=${RUNS:-3}

make -s build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/benchgen" ./internal/benchgen

timer=()
if [ -x /usr/bin/time ]; then
	timer=(/usr/bin/time -f '%e %U %S %M')
fi

printf '%-6s %7s %10s %12s %8s %8s %12s\n' mode groups instances state_bytes wall_s cpu_s peak_rss_mb
for n in "${sizes[@]}"; do
	for mode in full count; do
		dir="$work/$mode-$n"
		"$work/benchgen" -groups "$n" -per 10 -mode "$mode" -out "$dir"
		size=$(wc -c <"$dir/fleet.state.json")
		if [ "${STATE_BACKEND:-file}" = postgres ]; then
			sed -i "0,/^fleet \"[^\"]*\" {\$/s//&\n  backend \"postgres\" {\n    schema = \"bench_${mode}_$n\"\n  }/" "$dir/main.fleet.hcl"
			grep -q 'backend "postgres"' "$dir/main.fleet.hcl" || { echo "bench-plan: no fleet block for the backend" >&2; exit 1; }
			bin/fleet state push --chdir "$dir" "$dir/fleet.state.json" >/dev/null
			rm "$dir/fleet.state.json"
		fi
		best_wall="" best_cpu="" best_rss=""
		for _ in $(seq "$runs"); do
			if [ ${#timer[@]} -gt 0 ]; then
				"${timer[@]}" -o "$work/time" bin/fleet plan --detailed-exitcode --no-color "$dir" >/dev/null
				read -r wall user sys rss <"$work/time"
				cpu=$(awk "BEGIN{print $user + $sys}")
			else
				start=$(date +%s.%N)
				bin/fleet plan --detailed-exitcode --no-color "$dir" >/dev/null
				wall=$(echo "$(date +%s.%N) - $start" | bc)
				cpu=0 rss=0
			fi
			if [ -z "$best_wall" ] || awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall; fi
			if [ -z "$best_cpu" ] || awk "BEGIN{exit !($cpu < $best_cpu)}"; then best_cpu=$cpu; fi
			if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
		done
		printf '%-6s %7d %10d %12d %8s %8s %12.1f\n' "$mode" "$n" "$((n * 10))" "$size" "$best_wall" "$best_cpu" "$(awk "BEGIN{print $best_rss/1024}")"
	done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
