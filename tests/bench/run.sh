#!/bin/sh
# `make bench` entry point: run the throughput and memory benchmark
# (tests/bench/bench.py), then the identity benchmarks on the same stack
# (tests/bench/identity.py: sign-in, the user listing over a million users),
# against the programs in the build directory given as $1.  Settings come
# from the environment (BENCH_DURATION, BENCH_ROUNDS, BENCH_USERS, ...; see
# docs/performance.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 ABSOLUTE_BUILD_DIR" >&2
	exit 2
fi
exec python3 "$here/bench.py" --build "$1"
