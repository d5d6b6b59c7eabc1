#!/usr/bin/env bash
# Shows that no code outside `core` calls an index panic (`panic_bounds_check`,
# `slice_index_fail`, `slice_*_index_len_fail`) in the Cortex-M4F firmware: tinycml's kernels
# take fixed-size arrays and split flat parameters with checked operations, so the compiler
# has no bounds check left to emit. Library code inlined into the demo would show up under the
# demo's function names, so every caller outside `core` counts. Needs arm-none-eabi-objdump
# (apt binutils-arm-none-eabi) and the firmware built (`cargo build --release` in qemu-m4f).
set -euo pipefail
cd "$(dirname "$0")"
# DIR: another build of the same firmware (ci.sh passes the `asm` feature's, target/asm/…).
dir=${1:-target/thumbv7em-none-eabihf/release}
status=0
# Not `fleet`: it decodes and encodes exports at run time, and the index checks of
# `tinycml::store` (`encode_as`, `reserved_bytes_clean`) and of core's `f64::from_str` stay.
for bin in demo deploy digits dual dual-meta persist bench bench-f32 bench-digits bench-dual; do
    # A firmware that is not there has not been checked: say so, and fail.
    if [ ! -f "$dir/$bin" ]; then
        echo "$bin: not built ($dir/$bin missing)"
        status=1
        continue
    fi
    callers=$(arm-none-eabi-objdump -d -C --no-show-raw-insn "$dir/$bin" | awk '
        /^[0-9a-f]+ <.*>:$/ { fn = $0; next }
        /<core::panicking::panic_bounds_check>$|<core::slice::index::slice_(index|end_index|start_index)[a-z_]*fail[a-z_]*>$/ { print fn }
    ' | grep -v '<core::\|<<char>' | sort -u || true)
    if [ -n "$callers" ]; then
        echo "$bin: index panics reachable from:"
        echo "$callers"
        status=1
    else
        echo "$bin: no index panic outside core"
    fi
done
exit $status
