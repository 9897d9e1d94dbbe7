#!/usr/bin/env bash
# Kill-anywhere test of `elucid train` (docs/reliability.md). A small recipe trains with a checkpoint every batch;
# one run goes uninterrupted, others are killed with SIGKILL at KILLS moments spread over a run's length (start-up,
# batches, checkpoint writes, the final model write) and resumed with --resume each time. Checked:
#   - after every kill, every checkpoint on disk loads (`elucid summary`), and no resume skips a damaged one;
#   - the temporary files of killed writes are removed by the next write into their folder: none is left once a run
#     finishes;
#   - every killed and resumed run finishes with a model file byte-identical to the uninterrupted run's;
#   - SIGTERM and SIGINT write a checkpoint and exit 130, and the run resumes to the same bytes;
#   - a write that fails for want of space (ulimit -f, as a full disk) is an error (exit 1) naming the file, and the
#     checkpoint before it stays whole.
# Usage: tests/apps/kill_anywhere.sh ELUCID [KILLS]   (ctest: test kill_anywhere)
set -euo pipefail
elucid=$(realpath "$1")
kills=${2:-40}
work=$(mktemp -d "${TMPDIR:-/tmp}/elucid-kill-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND exited with $?" >&2' ERR
seconds() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }  # milliseconds for sleep

# ---- data: 256 samples of 12x12 pixels, 4 classes, as IDX files (header: 00 00 08 rank, big-endian dimensions) ----
mkdir -p "$work/data"
{ printf '\x00\x00\x08\x03\x00\x00\x01\x00\x00\x00\x00\x0c\x00\x00\x00\x0c'; head -c $((256 * 144)) /dev/urandom; } \
  > "$work/data/images"
{ printf '\x00\x00\x08\x01\x00\x00\x01\x00'; for _ in $(seq 64); do printf '\x00\x01\x02\x03'; done; } > "$work/data/labels"

# Dropout (masks keyed by the optimizer's step count, which the checkpoint restores), EarlyStopping and
# ReduceLROnPlateau (callback states), a validation split and shuffling: everything a resume must bring back for the
# same bits.
recipe='{
  "seed": 7, "threads": 1,
  "model": {"class_name": "Sequential", "config": {"name": "kill", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 12, 12, 1]}},
    {"class_name": "Conv2D", "config": {"name": "conv", "filters": 8, "kernel_size": [3, 3], "activation": "elu"}},
    {"class_name": "MaxPooling2D", "config": {"name": "pool", "pool_size": [2, 2]}},
    {"class_name": "Flatten", "config": {"name": "flatten"}},
    {"class_name": "Dropout", "config": {"name": "dropout", "rate": 0.25}},
    {"class_name": "Dense", "config": {"name": "hidden", "units": 32, "activation": "elu"}},
    {"class_name": "Dense", "config": {"name": "logits", "units": 4}}]}},
  "compile": {"optimizer": "adam", "metrics": ["accuracy"],
              "loss": {"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": true}}},
  "fit": {"epochs": 4, "batch_size": 16, "validation_split": 0.25, "verbose": 0},
  "callbacks": [{"class_name": "EarlyStopping", "config": {"monitor": "val_loss", "patience": 10}},
                {"class_name": "ReduceLROnPlateau", "config": {"monitor": "val_loss", "patience": 1}}],
  "data": {"train_images": "../data/images", "train_labels": "../data/labels"},
  "output": {"model": "model.elucid", "checkpoint_dir": "checkpoints", "checkpoint_every": 1, "history_csv": null}
}'
for run in reference killed signals disk; do
  mkdir -p "$work/$run"
  printf '%s\n' "$recipe" > "$work/$run/recipe.json"
done

# ---- the uninterrupted run, timed: kills are spread over its length ----
start=$(date +%s%N)
"$elucid" train "$work/reference/recipe.json" > "$work/reference/log" 2>&1 || { cat "$work/reference/log"; fail "reference run"; }
run_ms=$(( ($(date +%s%N) - start) / 1000000 ))
reference="$work/reference/model.elucid"
[ -s "$reference" ] || fail "the reference run wrote no model"
echo "uninterrupted run: ${run_ms} ms"

# Every checkpoint in $1/checkpoints must load.
check_checkpoints() {
  local f
  for f in "$1"/checkpoints/checkpoint-*.elucid; do
    [ -e "$f" ] || continue
    "$elucid" summary "$f" > /dev/null 2> "$work/summary.err" || { cat "$work/summary.err"; fail "after $2: $f does not load"; }
  done
}

# ---- SIGKILL at KILLS moments, resuming each time; a run that finishes is compared and started afresh ----
dir="$work/killed"
killed=0 during_write=0 finished=0
for i in $(seq "$kills"); do
  # Moments spread over 0..80% of a run (start-up included): the fractional parts of i * 0.618034 fill it evenly.
  delay_ms=$(( (i * 618034 % 1000000) * run_ms * 8 / 10000000 ))
  "$elucid" train "$dir/recipe.json" --resume > "$dir/log" 2>&1 &
  pid=$!
  sleep "$(seconds "$delay_ms")"
  kill -KILL "$pid" 2> /dev/null && killed=$((killed + 1))
  status=0
  wait "$pid" 2> /dev/null || status=$?
  grep -q "skipping a checkpoint" "$dir/log" && { cat "$dir/log"; fail "a resume found a damaged checkpoint"; }
  # A temporary file of this run left behind means the kill came while a file was being written. It stays: the next
  # write into its folder removes it (its process is dead).
  [ -n "$(find "$dir" -name "*.tmp-$pid")" ] && during_write=$((during_write + 1))
  check_checkpoints "$dir" "kill $i"
  if [ "$status" = 0 ]; then  # the run ended before the kill: it must have the uninterrupted run's bytes
    cmp "$reference" "$dir/model.elucid" || fail "the model of a killed and resumed run differs from the uninterrupted run's"
    stale=$(find "$dir" -name '*.tmp-*')
    [ -z "$stale" ] || fail "a finished run left the temporary files of killed runs: $stale"
    finished=$((finished + 1))
    rm -rf "$dir/checkpoints" "$dir/model.elucid"
  elif [ "$status" != 137 ]; then
    cat "$dir/log"; fail "run $i exited with $status"
  fi
done
"$elucid" train "$dir/recipe.json" --resume > "$dir/log" 2>&1 || { cat "$dir/log"; fail "the last resume"; }
cmp "$reference" "$dir/model.elucid" || fail "the model of the killed and resumed run differs from the uninterrupted run's"
stale=$(find "$dir" -name '*.tmp-*')
[ -z "$stale" ] || fail "the last resume left the temporary files of killed runs: $stale"
finished=$((finished + 1))
echo "SIGKILL: $killed kills ($during_write while a file was being written); $finished killed and resumed runs" \
     "finished, each with the uninterrupted run's model bytes"

# Starts a run in the background (pid in $pid) and returns once it has written a checkpoint of its own.
start_and_wait_for_checkpoint() {
  local before
  before=$(ls "$1/checkpoints" 2> /dev/null | grep -v tmp | tail -n 1 || true)
  "$elucid" train "$1/recipe.json" --resume > "$2" 2>&1 &
  pid=$!
  for _ in $(seq 3000); do
    [ "$(ls "$1/checkpoints" 2> /dev/null | grep -v tmp | tail -n 1 || true)" != "$before" ] && return 0
    kill -0 "$pid" 2> /dev/null || { cat "$2"; fail "the run ended before writing a checkpoint"; }
    sleep 0.01
  done
  fail "no checkpoint after 30 s"
}

# Starts a run, signals it once it has written a checkpoint, and waits for it (exit status in $status). A run that
# finished before the signal reached it (a loaded machine polls slowly; a run is about half a second) exits 0: the
# folder is then cleared and the run started over, up to 5 times.
start_and_signal() {
  for attempt in 1 2 3 4 5; do
    start_and_wait_for_checkpoint "$1" "$2"
    kill -"$3" "$pid" 2> /dev/null || true
    status=0
    wait "$pid" 2> /dev/null || status=$?
    [ "$status" = 0 ] || return 0
    echo "SIG$3 came after the run ended (attempt $attempt); starting over"
    rm -rf "$1/checkpoints" "$1/model.elucid"
  done
  fail "SIG$3: the run ended before the signal 5 times"
}

# ---- SIGTERM and SIGINT: a checkpoint, then exit 130 ----
dir="$work/signals"
for signal in TERM INT; do
  start_and_signal "$dir" "$dir/log.$signal" "$signal"
  [ "$status" = 130 ] || { cat "$dir/log.$signal"; fail "SIG$signal: exit status $status, expected 130"; }
  grep -q "checkpoint written to .*checkpoint-e" "$dir/log.$signal" || { cat "$dir/log.$signal"; fail "SIG$signal: no checkpoint named"; }
  check_checkpoints "$dir" "SIG$signal"
done
"$elucid" train "$dir/recipe.json" --resume > "$dir/log" 2>&1 || { cat "$dir/log"; fail "resume after the signals"; }
cmp "$reference" "$dir/model.elucid" || fail "the model after SIGTERM and SIGINT differs from the uninterrupted run's"
echo "SIGTERM, SIGINT: exit 130 with a checkpoint; resumed to the same model bytes"

# ---- a full disk: a file size limit below a checkpoint's size; SIGXFSZ ignored, so writes fail with EFBIG ----
dir="$work/disk"
start_and_signal "$dir" "$dir/log" TERM
before=$(ls "$dir"/checkpoints/checkpoint-*.elucid | tail -n 1)
cp "$before" "$work/before.elucid"
size_kb=$(( $(stat -c %s "$before") / 1024 ))
status=0
( trap '' XFSZ; ulimit -f $((size_kb / 2)); exec "$elucid" train "$dir/recipe.json" --resume ) > "$dir/log" 2>&1 || status=$?
[ "$status" = 1 ] || { cat "$dir/log"; fail "full disk: exit status $status, expected 1"; }
grep -q "^elucid: .*checkpoint-e.*File too large" "$dir/log" || { cat "$dir/log"; fail "full disk: the error does not name the file and the reason"; }
cmp "$before" "$work/before.elucid" || fail "full disk: the previous checkpoint changed"
check_checkpoints "$dir" "the full disk"
[ -z "$(find "$dir" -name '*.tmp-*')" ] || fail "full disk: a temporary file was left behind"
"$elucid" train "$dir/recipe.json" --resume > "$dir/log" 2>&1 || { cat "$dir/log"; fail "resume after the full disk"; }
cmp "$reference" "$dir/model.elucid" || fail "the model after the full disk differs from the uninterrupted run's"
echo "full disk: exit 1 naming the file, the previous checkpoint intact; resumed to the same model bytes"
