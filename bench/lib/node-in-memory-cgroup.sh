#!/bin/bash
# Runs node in a memory cgroup of its own, limited like a pod (root only), so V8 sizes its heap
# as it would there: BENCH_NODE=bench/lib/node-in-memory-cgroup.sh node bench/profile.js reads.
#   BENCH_MEMORY_LIMIT_MB  the limit, 512 (the chart's resources.limits.memory)
#   BENCH_REAL_NODE        the node binary, `node` on PATH
#   BENCH_DROP_FLAG        a node flag to leave out, e.g. --max-semi-space-size (the bench adds
#                          the image's flags; dropping one measures V8's own choice under the limit)
# The cgroup is named after this process and stays behind empty: rmdir /sys/fs/cgroup/memory/bench-*
set -e
limit=$(( ${BENCH_MEMORY_LIMIT_MB:-512} * 1024 * 1024 ))
if [ -d /sys/fs/cgroup/memory ]; then # cgroup v1
  cg=/sys/fs/cgroup/memory/bench-$$
  mkdir -p "$cg" && echo "$limit" > "$cg/memory.limit_in_bytes"
else # cgroup v2 (the memory controller must be enabled in the parent's cgroup.subtree_control)
  cg=/sys/fs/cgroup/bench-$$
  mkdir -p "$cg" && echo "$limit" > "$cg/memory.max"
fi
echo $$ > "$cg/cgroup.procs"
args=()
for a in "$@"; do
  if [ -n "$BENCH_DROP_FLAG" ] && [[ $a == "$BENCH_DROP_FLAG"* ]]; then continue; fi
  args+=("$a")
done
exec "${BENCH_REAL_NODE:-node}" "${args[@]}"
