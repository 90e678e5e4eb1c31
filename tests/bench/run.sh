#!/bin/sh
# `make bench` entry point: run the throughput and memory benchmark
# (tests/bench/bench.py, docs/performance.md) against the programs in the
# build directory given as $1.  BENCH_DURATION (seconds per run, default 10)
# is read from the environment.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 ABSOLUTE_BUILD_DIR" >&2
	exit 2
fi
exec python3 "$here/bench.py" --build "$1"
