#!/usr/bin/env bash
# The browser tests, 5 times in a row, then 3 times while every core is kept busy by a
# busy loop: a test that fails once here is a bug to find, not to retry (`make test-stress`).
set -euo pipefail
py=${PY:-.venv/bin/python}
cores=$(nproc)
for i in 1 2 3 4 5; do
  echo "== browser tests, run $i of 5"
  "$py" -m pytest -m browser -q -p no:cacheprovider
done
burners=()
trap 'kill "${burners[@]}" 2>/dev/null || true' EXIT
for _ in $(seq "$cores"); do
  (while :; do :; done) &
  burners+=("$!")
done
for i in 1 2 3; do
  echo "== browser tests, run $i of 3, beside $cores busy loops (one per core)"
  "$py" -m pytest -m browser -q -p no:cacheprovider
done
echo "== 8 runs, no failure"
