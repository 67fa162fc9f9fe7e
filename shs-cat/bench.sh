#!/usr/bin/env bash
# shs-cat's throughput beside the library's, in the same run (issue 8, item 7).
#
#   shs-cat/bench.sh [MIB] [ROUNDS]        (defaults: 256 MiB, 3 rounds; run from anywhere)
#
# Each round, interleaved:
#   library  examples/tcp_throughput.rs: one BoxStream over loopback TCP, 64 KiB writes, the
#            receiver reading with a 64 KiB buffer on the other worker of a 2-worker runtime.
#   shs-cat  `shs-cat connect < FILE` to `shs-cat listen > /dev/null` over loopback, timed from
#            starting connect until both processes have exited (process start and handshakes
#            included, so slightly pessimistic).
# MB = 10^6 bytes. Prints each round with the CPU seconds it took (user + system, all
# processes: on a busy machine the fairer comparison), the medians, and shs-cat / library.
set -euo pipefail

mib=${1:-256}
rounds=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --quiet --release -p shs-cat
cargo build --quiet --release -p secret-handshake --example tcp_throughput
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
shs_cat=$target/release/shs-cat
library=$target/release/examples/tcp_throughput

work=$(mktemp -d)
listener=
cleanup() {
    if [ -n "$listener" ]; then kill "$listener" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
head -c $((mib * 1024 * 1024)) /dev/urandom >"$work/data"
bytes=$((mib * 1024 * 1024))

now() { date +%s.%N; }

# One file transfer through shs-cat; writes "MB/s" to $work/rate.
shs_cat_pair() {
    HOME=$work "$shs_cat" listen 127.0.0.1:0 </dev/null >/dev/null 2>"$work/listen.err" &
    listener=$!
    local line=
    for _ in $(seq 100); do
        line=$(head -n 1 "$work/listen.err")
        [ -n "$line" ] && break
        sleep 0.05
    done
    # listening on 127.0.0.1:PORT as @KEY.ed25519
    local addr=${line#listening on }
    local key=${addr#* as }
    addr=${addr%% as *}
    local start end
    start=$(now)
    HOME=$work "$shs_cat" connect "$addr" --server-key "$key" <"$work/data" >/dev/null 2>"$work/connect.err"
    wait "$listener"
    listener=
    end=$(now)
    echo "$bytes $start $end" | awk '{ printf "%.1f\n", $1 / ($3 - $2) / 1e6 }' >"$work/rate"
}

# Runs "$@" and prints "MB/s CPU-seconds" (user + system of all its processes).
measure() {
    local TIMEFORMAT='%3U %3S'
    { time "$@" >"$work/out" 2>/dev/null; } 2>"$work/time"
    echo "$(cat "$work/rate") $(awk '{ print $1 + $2 }' "$work/time")"
}

library_run() {
    "$library" "$mib" 65536 | awk '{ print $(NF - 1) }' >"$work/rate"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: >"$work/lib" >"$work/cat"
for round in $(seq "$rounds"); do
    read -r lib lib_cpu < <(measure library_run)
    read -r cat cat_cpu < <(measure shs_cat_pair)
    echo "round $round: library $lib MB/s ($lib_cpu CPU s), shs-cat $cat MB/s ($cat_cpu CPU s)"
    echo "$lib" >>"$work/lib"
    echo "$cat" >>"$work/cat"
done
lib=$(median <"$work/lib")
cat=$(median <"$work/cat")
echo "median of $rounds, $mib MiB: library $lib MB/s, shs-cat $cat MB/s," \
    "shs-cat / library = $(echo "$cat $lib" | awk '{ printf "%.2f", $1 / $2 }')"
