#!/usr/bin/env bash
# Chronik compatibility check with librdkafka through kcat: metadata, produce with keys and headers and read
# them back, and balanced consumption by a group of two kcat members (every message exactly once).
# Usage: compat/kcat.sh BOOTSTRAP TOPIC_PREFIX
set -euo pipefail
B="$1"; T="$2"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

kcat -b "$B" -L -m 30 | grep -q 'broker 0 at' || { echo "kcat -L did not list broker 0"; exit 1; }

printf 'k1:hello\nk2:world\n' | kcat -b "$B" -t "$T-kh" -P -K: -H app=chronik -H n=1 -m 30
kcat -b "$B" -t "$T-kh" -C -e -o beginning -m 30 -f '%k=%s|%h\n' > "$work/kh.out" 2>/dev/null
grep -qx 'k1=hello|app=chronik,n=1' "$work/kh.out" || { echo "key/header round trip failed:"; cat "$work/kh.out"; exit 1; }
grep -qx 'k2=world|app=chronik,n=1' "$work/kh.out" || { echo "key/header round trip failed:"; cat "$work/kh.out"; exit 1; }

# Both members join first; messages are produced once each holds partitions, so both take part.
kcat -b "$B" -L -t "$T-g" -m 30 > /dev/null 2>&1 || true
for i in 1 2; do
  timeout 60 kcat -b "$B" -G "$T-group" -X auto.offset.reset=earliest -X topic.metadata.refresh.interval.ms=1000 \
    "$T-g" -f '%p %o\n' > "$work/m$i.out" 2> "$work/m$i.err" &
  pids[$i]=$!
done
latest_assignment() { { grep 'assigned:' "$1" 2>/dev/null || true; } | tail -1 | sed 's/.*assigned://'; }
for _ in $(seq 1 300); do
  a1=$(latest_assignment "$work/m1.err"); a2=$(latest_assignment "$work/m2.err")
  if [ -n "${a1// /}" ] && [ -n "${a2// /}" ]; then break; fi
  sleep 0.1
done
seq 1 400 | awk '{print "key"$1":v"$1}' | kcat -b "$B" -t "$T-g" -P -K: -m 30
for _ in $(seq 1 200); do
  [ "$(cat "$work/m1.out" "$work/m2.out" | wc -l)" -ge 400 ] && break
  sleep 0.1
done
sleep 2
kill "${pids[1]}" "${pids[2]}" 2>/dev/null || true
wait || true
total=$(cat "$work/m1.out" "$work/m2.out" | wc -l)
unique=$(cat "$work/m1.out" "$work/m2.out" | sort -u | wc -l)
echo "kcat group: member1=$(wc -l < "$work/m1.out") member2=$(wc -l < "$work/m2.out") unique=$unique total=$total"
[ "$unique" -eq 400 ] && [ "$total" -eq 400 ] || { echo "expected 400 messages exactly once"; cat "$work"/m*.err; exit 1; }
[ -s "$work/m1.out" ] && [ -s "$work/m2.out" ] || { echo "both members must consume"; exit 1; }
echo "kcat compat: OK"
