#!/usr/bin/env bash
# Fuzz smoke test: runs every cargo-fuzz target for a bounded time on the stable toolchain and
# fails if any of them finds a crash (panic, failed assertion, sanitizer report, leak, timeout).
#
#   fuzz/smoke.sh                    # 30 s per target
#   FUZZ_SECONDS=120 fuzz/smoke.sh   # longer
#   FUZZ_ARGS="-max_len=8192" fuzz/smoke.sh   # extra libFuzzer flags for every target
#
# Crashing inputs are saved in fuzz/artifacts/<target>/; the growing corpus in fuzz/corpus/<target>/
# (both gitignored). See fuzz/README.md.
set -euo pipefail

cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-30}"

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address) to rustc; this lets stable accept them.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "smoke.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

# Build everything first so that compile time does not eat into the fuzzing time.
cargo fuzz build

failed=()
for target in $(cargo fuzz list); do
    echo "smoke.sh: fuzzing $target for ${seconds}s" >&2
    mkdir -p "corpus/$target"
    if ! cargo fuzz run "$target" -- \
        -max_total_time="$seconds" -timeout=20 -print_final_stats=1 ${FUZZ_ARGS:-} 2>"target/smoke-$target.log"; then
        failed+=("$target")
        tail -n 60 "target/smoke-$target.log" >&2
    fi
    grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' \
        "target/smoke-$target.log" | sed "s/^/smoke.sh: $target: /" >&2 || true
done

if ((${#failed[@]})); then
    echo "smoke.sh: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "smoke.sh: all fuzz targets ran ${seconds}s without a crash" >&2
