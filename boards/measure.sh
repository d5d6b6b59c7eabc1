#!/usr/bin/env bash
# Measures every firmware and prints the tables of README.md ("Measured"), in markdown:
#
#   - flash and static RAM of each firmware (arm-none-eabi-size -A of the release builds);
#   - peak stack of each QEMU firmware: the boards paint the stack (cortex-m-rt `paint-stack`,
#     `__pre_init` on RISC-V) and their `exit` prints the deepest word reached on QEMU's
#     standard error;
#   - instructions per inner step, adaptation and CML meta-step, Q16.16 and f32, on the
#     Cortex-M4F (mps2-an386), the Cortex-M0 (microbit) and the RISC-V FE310 (sifive_e): the
#     `bench` and `bench-f32` firmwares count them under `-icount shift=10` (bench.sh; SysTick
#     on the Cortex-M, see qemu/src/lib.rs; `minstret` on RISC-V, see qemu-riscv/src/lib.rs);
#   - the same for the few-shot digits classifier (64-32-32-5, Q16.16, Cortex-M4F): inner
#     step, adaptation, drawing a task and a whole task, from the `bench-digits` firmware;
#   - the dual system (Q16.16) beside the complex synapse: inner step, adaptation and meta-step
#     on every core, from the `bench-dual` firmwares.
#
#   ./measure.sh            # print the tables
#   ./measure.sh --readme   # also replace them in README.md (between the measure.sh markers)
#
# Needs what ci.sh installs (rustup targets, QEMU for Arm and RISC-V, defmt-print) and
# arm-none-eabi-size (binutils-arm-none-eabi; it reads the RISC-V firmware too). Not run by
# CI (CI runs speed.sh, which gates the same counts); takes a few minutes from a clean
# checkout (the builds), about 20 s after. It does not touch the expected outputs: it diffs
# the demos' output against them, like ci.sh, and stops if they differ. Every QEMU run has a
# time limit (qemu.sh).
set -euo pipefail
cd "$(dirname "$0")"
source ./qemu.sh

readme=false
[[ "${1:-}" == "--readme" ]] && readme=true

for tool in qemu-system-arm qemu-system-riscv32 arm-none-eabi-size defmt-print; do
    command -v "$tool" >/dev/null || { echo "measure.sh: $tool not found (see ci.sh)" >&2; exit 1; }
done
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi riscv32imac-unknown-none-elf \
    riscv32imc-unknown-none-elf >/dev/null

# The instruction counters assume this shift (bench.sh passes it to QEMU).
SHIFT=10
# Where cargo puts the firmware (an absolute CARGO_TARGET_DIR is honoured).
target=${CARGO_TARGET_DIR:-$PWD/target}
M4F=$target/thumbv7em-none-eabihf/release
M0=$target/thumbv6m-none-eabi/release
RV=$target/riscv32imac-unknown-none-elf/release
ESP=$target/riscv32imc-unknown-none-elf/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building the release firmware…" >&2
for board in qemu-m4f qemu-m4f-lean qemu-m0 qemu-riscv nrf52840-dk pico esp32c3; do
    (cd "$board" && cargo build -q --release)
done
(cd qemu-m4f-lean && cargo build -q --profile lean)
LEAN=$target/thumbv7em-none-eabihf/lean

# Peak stack printed by tinycml_qemu::exit: "peak stack: USED of SIZE bytes".
stack_of() {
    local line
    line=$(grep '^peak stack:' "$work/$1.err") || { echo "measure.sh: no peak stack from $1" >&2; exit 1; }
    read -r _ _ used _ size _ <<<"$line"
    # Stack painting cannot tell an overflow from a full stack: treat the last 64 bytes as one.
    if ((used + 64 >= size)); then
        echo "measure.sh: $1 used $used of its $size-byte stack (overflow?)" >&2
        exit 1
    fi
    echo "$used $size"
}

echo "running the demos (peak stack)…" >&2
run "$work" m4f-demo mps2-an386 "$M4F/demo" no
run "$work" m4f-deploy mps2-an386 "$M4F/deploy" no
run "$work" m4f-digits mps2-an386 "$M4F/digits" no
run "$work" m4f-dual mps2-an386 "$M4F/dual" no
run "$work" m4f-dual-meta mps2-an386 "$M4F/dual-meta" no
run "$work" m4f-persist mps2-an386 "$M4F/persist" no
run "$work" m0-demo microbit "$M0/demo" yes
run "$work" m0-dual microbit "$M0/dual" yes
run "$work" riscv-demo sifive_e "$RV/demo" no
run "$work" riscv-dual sifive_e "$RV/dual" no
diff -u qemu-m4f/expected-demo.txt "$work/m4f-demo.out"
diff -u qemu-m4f/expected-deploy.txt "$work/m4f-deploy.out"
diff -u qemu-m4f/expected-digits.txt "$work/m4f-digits.out"
diff -u qemu-m4f/expected-dual.txt "$work/m4f-dual.out"
diff -u qemu-m4f/expected-dual-meta.txt "$work/m4f-dual-meta.out"
diff -u qemu-m4f/expected-persist.txt "$work/m4f-persist.out"
diff -u qemu-m0/expected-demo.txt "$work/m0-demo.out"
diff -u qemu-m0/expected-dual.txt "$work/m0-dual.out"
diff -u qemu-riscv/expected-demo.txt "$work/riscv-demo.out"
diff -u qemu-riscv/expected-dual.txt "$work/riscv-dual.out"

for elf in "$M4F/adapt" "$LEAN/adapt"; do
    qemu mps2-an386 "$elf" | grep -q 'matches the host$' ||
        { echo "measure.sh: $elf did not match the host's replay" >&2; exit 1; }
done

echo "counting instructions (-icount shift=$SHIFT)…" >&2
./bench.sh "$work" >"$work/all-counts"
for name in m4f-demo m4f-deploy m4f-digits m4f-dual m4f-dual-meta m4f-persist m0-demo m0-dual riscv-demo \
    riscv-dual m4f-bench m4f-bench-f32 m4f-bench-digits m4f-bench-dual m0-bench m0-bench-f32 \
    m0-bench-dual riscv-bench riscv-bench-f32 riscv-bench-dual; do
    stack_of "$name" >/dev/null
done
grep -v ' 64-32-32-5 ' "$work/all-counts" >"$work/counts"
grep ' 64-32-32-5 ' "$work/all-counts" >"$work/digits-counts"

# size ELF: "FLASH STATIC_RAM" in bytes. Flash: what is programmed (vector table, boot2,
# code, riscv-rt's start-up code in .init.*, esp-hal's trap and RAM code and application
# descriptor, read-only data, loaded unwind tables and the .data image); static RAM:
# .data + .bss + .uninit (.noinit on the ESP32-C3).
size_of() {
    arm-none-eabi-size -A "$1" | awk '
        $1 ~ /^\.(vector_table|boot2|text|init\..*|trap|rwtext|flash\.appdesc|rodata|gnu\.sgstubs)$/ { flash += $2 }
        $1 == ".eh_frame" && $3 != 0 { flash += $2 }
        $1 == ".data" { flash += $2; ram += $2 }
        $1 ~ /^\.(bss|uninit|noinit)$/ { ram += $2 }
        END { print flash, ram }'
}

commas() { # 1234567 -> 1,234,567
    echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'
}

table() {
    local stamp
    stamp="QEMU $(qemu-system-arm --version | head -1 | awk '{print $4}'), $(rustc --version | awk '{print $1, $2}')"
    echo "Footprint (release builds, opt-level 3 + LTO; peak stack under QEMU, from stack painting):"
    echo
    echo "| firmware | network | flash | static RAM | peak stack | RAM |"
    echo "|---|---|---|---|---|---|"
    local row elf net name ram_kb flash ram used
    for row in "qemu-m4f demo|$M4F/demo|1-40-40-1 (deploy + meta-learn)|m4f-demo|64" \
        "qemu-m4f deploy|$M4F/deploy|1-40-40-1 (deploy only)|m4f-deploy|64" \
        "qemu-m4f digits|$M4F/digits|64-32-32-5 (few-shot digits, adapt only)|m4f-digits|64" \
        "qemu-m4f dual|$M4F/dual|1-40-40-1 dual system (adapt only, body in flash)|m4f-dual|64" \
        "qemu-m4f dual-meta|$M4F/dual-meta|1-40-40-1 dual system (meta-step, body in RAM)|m4f-dual-meta|64" \
        "qemu-m4f persist|$M4F/persist|1-40-40-1 (adapt, save φ to flash, reset, load)|m4f-persist|64" \
        "qemu-m0 demo|$M0/demo|1-16-16-1 (deploy + meta-learn)|m0-demo|16" \
        "qemu-m0 dual|$M0/dual|1-40-40-1 dual system (adapt only, body in flash)|m0-dual|16" \
        "qemu-riscv demo|$RV/demo|1-16-16-1 (deploy + meta-learn)|riscv-demo|16" \
        "qemu-riscv dual|$RV/dual|1-40-40-1 dual system (adapt only, body in flash)|riscv-dual|16" \
        "nrf52840-dk|$M4F/nrf52840-dk|1-40-40-1 (deploy + meta-learn)||256" \
        "nrf52840-dk persist|$M4F/nrf52840-dk-persist|1-40-40-1 (adapt, save φ through the NVMC, reset, load)||256" \
        "pico|$M0/pico|1-16-16-1 (deploy + meta-learn)||256" \
        "esp32c3|$ESP/esp32c3|1-40-40-1 (deploy + meta-learn)||400"; do
        IFS='|' read -r label elf net name ram_kb <<<"$row"
        read -r flash ram < <(size_of "$elf")
        if [[ -n "$name" ]]; then
            read -r used _ < <(stack_of "$name")
            used="$(commas "$used") B"
        else
            used="not measured (hardware)"
        fi
        echo "| \`$label\` | $net | $(commas "$flash") B | $(commas "$ram") B | $used | $ram_kb KB |"
    done
    echo
    local prior lean_flash opt3_flash
    prior=$((16#$(arm-none-eabi-nm -S "$LEAN/adapt" | awk '/hidden405PRIOR/ { print $2; exit }')))
    read -r lean_flash _ < <(size_of "$LEAN/adapt")
    read -r opt3_flash _ < <(size_of "$M4F/adapt")
    echo "The library alone (\`qemu-m4f-lean adapt\`: adapts the 1-40-40-1 prior in flash to ten"
    echo "support shots in Q16.16 and compares φ with the build host's replay; no text formatting,"
    echo "a panic handler that only exits): flash $(commas "$lean_flash") B built for size"
    echo "(\`--profile lean\`, opt-level \"s\"), $(commas "$opt3_flash") B at opt-level 3; the prior (ω and λ)"
    echo "is $(commas "$prior") B of it, so the code and data besides the prior take"
    echo "**$(commas $((lean_flash - prior))) B** built for size and $(commas $((opt3_flash - prior))) B at opt-level 3."
    echo
    echo "Instructions under QEMU ($stamp; \`-icount shift=$SHIFT\`; SysTick on the"
    echo "Cortex-M, \`minstret\` on RISC-V): instructions, not cycles. One inner step = forward,"
    echo "backward and update on K = 10 shots; adaptation = the prior's free phase (100 steps);"
    echo "meta-step = one on-device CML meta-step as the demo runs it (free 40 + nudged 2 × 20"
    echo "steps, symmetric, SGD, meta-batch 1). \"Q16.16, \`asm\`\": the same firmware built with the"
    echo "library's \`asm\` feature (the weight-gradient and input-error loops in Armv7E-M assembly),"
    echo "which gives the same bits: ci.sh runs every Cortex-M4F demo both ways against one expected"
    echo "output, and the \`kernels\` firmware compares the assembly with the generic kernels on"
    echo "random layers."
    echo
    echo "| core | network | format | inner step | MACs per step | instructions per MAC | adaptation (100 steps) | CML meta-step |"
    echo "|---|---|---|---|---|---|---|---|"
    local core net fmt label step macs adapt meta
    for row in "m4f|1-40-40-1|q16.16" "m4f-asm|1-40-40-1|q16.16" "m4f|1-40-40-1|f32" \
        "m4f|1-16-16-1|q16.16" "m4f-asm|1-16-16-1|q16.16" "m4f|1-16-16-1|f32" \
        "m0|1-16-16-1|q16.16" "m0|1-16-16-1|f32" "riscv|1-16-16-1|q16.16" "riscv|1-16-16-1|f32"; do
        IFS='|' read -r core net fmt <<<"$row"
        pick() { awk -v c="$core" -v n="$net" -v f="$fmt" -v s="$1" \
            '$1 == c && $2 == f && $3 == n && index($4, s) == 1 { print $5 }' "$work/counts"; }
        step=$(pick inner-step)
        macs=$(pick macs-per-step)
        adapt=$(pick adaptation-)
        meta=$(pick meta-step-)
        case "$core/$fmt" in
        m4f/q16.16) label="Cortex-M4F" fmt="Q16.16" ;;
        m4f-asm/q16.16) label="Cortex-M4F" fmt="Q16.16, \`asm\`" ;;
        m4f/f32) label="Cortex-M4F" fmt="f32 (FPU)" ;;
        m0/q16.16) label="Cortex-M0" fmt="Q16.16" ;;
        m0/f32) label="Cortex-M0" fmt="f32 (soft)" ;;
        riscv/q16.16) label="RISC-V rv32imac" fmt="Q16.16" ;;
        riscv/f32) label="RISC-V rv32imac" fmt="f32 (soft)" ;;
        esac
        echo "| $label | $net | $fmt | $(commas "$step") | $(commas "$macs") |" \
            "$(awk -v a="$step" -v b="$macs" 'BEGIN { printf "%.1f", a / b }') |" \
            "$(commas "$adapt") | $([[ -n "$meta" ]] && commas "$meta" || echo "not measured") |"
    done
    echo
    local draw steps task
    dpick() { awk -v c="${2:-m4f}" -v s="$1" \
        '$1 == c && $2 == "q16.16" && $3 == "64-32-32-5" && index($4, s) == 1 { print $5 }' \
        "$work/digits-counts"; }
    step=$(dpick inner-step)
    macs=$(dpick macs-per-step)
    adapt=$(dpick adaptation-)
    steps=$(awk '$1 == "m4f" && $3 == "64-32-32-5" && index($4, "adaptation-") == 1 { split($4, a, "-"); print a[2] }' \
        "$work/digits-counts")
    draw=$(dpick draw)
    task=$(dpick task)
    echo "The few-shot digits classifier (\`qemu-m4f digits\`, held-out 5-way 5-shot task 0): an inner"
    echo "step is on the 25 support shots; adaptation is the prior's free phase ($steps steps); a task is"
    echo "what the firmware does once the task is drawn (classify the 75 query images from ω,"
    echo "convert the 25 support images, adapt, classify the 75 again)."
    echo
    echo "| core | network | format | inner step | MACs per step | instructions per MAC | adaptation ($steps steps) | draw a task | whole task |"
    echo "|---|---|---|---|---|---|---|---|---|"
    echo "| Cortex-M4F | 64-32-32-5 | Q16.16 | $(commas "$step") | $(commas "$macs") |" \
        "$(awk -v a="$step" -v b="$macs" 'BEGIN { printf "%.1f", a / b }') |" \
        "$(commas "$adapt") | $(commas "$draw") | $(commas "$task") |"
    step=$(dpick inner-step m4f-asm)
    adapt=$(dpick adaptation- m4f-asm)
    echo "| Cortex-M4F | 64-32-32-5 | Q16.16, \`asm\` | $(commas "$step") | $(commas "$macs") |" \
        "$(awk -v a="$step" -v b="$macs" 'BEGIN { printf "%.1f", a / b }') |" \
        "$(commas "$adapt") | $(commas "$(dpick draw m4f-asm)") | $(commas "$(dpick task m4f-asm)") |"
    echo
    echo "The dual system beside the complex synapse (Q16.16, K = 10, held-out task 0; the same spans"
    echo "as above). The complex synapse adapts every weight (P values), ReLU; the dual system adapts"
    echo "its fast state (gains, shifts, read-out), tanh, the body fixed. Its meta-step is"
    echo "\`DualCml::meta_step\` on the same first stream task (meta-batch 1, SGD for body and"
    echo "initial fast state, the same free 40 + nudged 2 × 20 steps). The dual 1-40-40-1 counts"
    echo "start from the board's dual prior; the dual 1-16-16-1 has a seeded body (\`networks::dual16\`)."
    echo
    echo "| core | network | model | values adapted | inner step | adaptation (100 steps) | CML meta-step |"
    echo "|---|---|---|---|---|---|---|"
    local model values
    for row in "m4f|1-40-40-1|complex|1761" "m4f|1-40-40-1|dual|201" "m4f|1-16-16-1|complex|321" \
        "m4f|1-16-16-1|dual|81" "m0|1-40-40-1|complex|1761" "m0|1-40-40-1|dual|201" \
        "m0|1-16-16-1|complex|321" "m0|1-16-16-1|dual|81" "riscv|1-40-40-1|complex|1761" \
        "riscv|1-40-40-1|dual|201" "riscv|1-16-16-1|complex|321" "riscv|1-16-16-1|dual|81"; do
        IFS='|' read -r core net model values <<<"$row"
        local key=$net
        [[ "$model" == dual ]] && key="dual-$net"
        dual_pick() { awk -v c="$core" -v n="$key" -v s="$1" \
            '$1 == c && $2 == "q16.16" && $3 == n && index($4, s) == 1 { print $5 }' "$work/counts"; }
        step=$(dual_pick inner-step)
        adapt=$(dual_pick adaptation-)
        meta=$(dual_pick meta-step-)
        case "$core" in
        m4f) label="Cortex-M4F" ;;
        m0) label="Cortex-M0" ;;
        riscv) label="RISC-V rv32imac" ;;
        esac
        [[ "$model" == dual ]] && model="dual system (tanh)" || model="complex synapse (ReLU)"
        if [[ -z "$step" ]]; then
            echo "| $label | $net | $model | $(commas "$values") | does not fit (adaptation alone: 14.1 KB of 16 KB) | – | – |"
            continue
        fi
        echo "| $label | $net | $model | $(commas "$values") | $(commas "$step") | $(commas "$adapt") |" \
            "$([[ -n "$meta" ]] && commas "$meta" || echo "not measured (18.6 KB of RAM)") |"
    done
}

table | tee "$work/table.md"
if $readme; then
    awk -v table="$work/table.md" '
        /<!-- measure.sh begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
        /<!-- measure.sh end -->/ { skip = 0 }
        !skip { print }' README.md >"$work/README.md"
    grep -q '<!-- measure.sh end -->' "$work/README.md" || { echo "measure.sh: markers missing in README.md" >&2; exit 1; }
    cp "$work/README.md" README.md
    echo "README.md updated" >&2
fi
