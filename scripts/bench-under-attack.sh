#!/usr/bin/env bash
# Honest bank-send throughput with and without each denial-of-service attack
# (docs/security.md), in one run, against a running network: for each
# attack, a quiet run of `hermeticd bench`, then the same run while
# `hermeticd attack KIND` runs against the first node. BENCHMARKS.md has the
# figures. Usage:
#   scripts/bench-under-attack.sh BIN HOME NODES [ROUNDS]
# BIN: a built hermeticd; HOME: a home whose test keyring holds alice, bob,
# carol and dave (the devnet's, or a testnet's output dir); NODES: comma-
# separated API addresses (the first one is attacked); ROUNDS: how many
# quiet/attacked pairs per attack (default 2). KINDS (environment) picks
# the attacks: "flood queries conns" by default.
set -euo pipefail
bin=$1 home=$2 nodes=$3 rounds=${4:-2}
first=${nodes%%,*}
kr=(--home "$home" --keyring-backend test)
bench() {
	"$bin" bench "${kr[@]}" --nodes "$nodes" --from alice --txs 20000 --senders 32 -o json 2>/dev/null |
		python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.0f tx/s, p50 %.2f s, failed %d" % (r["tps"], r["latency_p50"]/1e9, r["failed"]))'
}
# The attacker runs at the lowest CPU priority: on this one machine its own
# work (signing, HTTP, reconnecting) would otherwise be counted against the
# node, where a real attacker spends its own machines' time.
attack() { # KIND: runs until killed
	case $1 in
	flood) exec nice -n 19 "$bin" attack flood --node "$first" --duration 10m --accounts 300 --ahead 63 --workers 16 -o json ;;
	queries) exec nice -n 19 "$bin" attack queries "${kr[@]}" --node "$first" --from dave --duration 10m --in-flight 64 -o json ;;
	# From another address than the honest load's, as an attacker is.
	conns) exec nice -n 19 "$bin" attack conns --node "$first" --duration 10m --conns 10000 --source 127.0.0.99 -o json ;;
	esac
}
for kind in ${KINDS:-flood queries conns}; do
	for r in $(seq "$rounds"); do
		echo "$kind round $r quiet:    $(bench)"
		attack "$kind" >/tmp/attack-$kind.json 2>/tmp/attack-$kind.err &
		pid=$!
		sleep 8 # the attack is under way (the query attack deploys its contract first)
		echo "$kind round $r attacked: $(bench)"
		kill -TERM $pid 2>/dev/null || true # a background job ignores SIGINT
		wait $pid 2>/dev/null || true
		sleep 3
	done
done
