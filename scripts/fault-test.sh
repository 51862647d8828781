#!/usr/bin/env bash
# Chronik's randomized fault test (io.chronik.replica.RandomFaultTest) with more rounds than the test suite runs:
# three broker processes on 127.0.0.1, two idempotent acks=all producers, a random broker killed with kill -9 and
# restarted each round (now and then stopped with SIGTERM instead), then a full read checking that no acknowledged value was lost, duplicated or moved.
# Usage: scripts/fault-test.sh [ROUNDS (default 30)] [SEED (default: random, printed)]
# Broker logs are kept under target/random-fault-test/.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-30}"
seed_arg=()
if [ -n "${2:-}" ]; then seed_arg=("-Dchronik.faults.seed=$2"); fi
# A round takes about 10 s on two cores, at most a few minutes when a failover is slow.
timeout_minutes=$((rounds * 3 + 5))
set +e
./mvnw -B test -Dtest=RandomFaultTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dchronik.faults.rounds="$rounds" "${seed_arg[@]}" \
  -Djunit.jupiter.execution.timeout.default="${timeout_minutes}m" 2>&1 \
  | grep -E --line-buffered 'RandomFaultTest|^round |values sent|Tests run|FAIL|ERROR|BUILD'
status="${PIPESTATUS[0]}"
exit "$status"
