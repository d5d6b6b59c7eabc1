# Sourced by measure.sh and bench.sh: runs one firmware under QEMU, with a time limit so that
# a hung firmware fails the script instead of hanging it.
#
#   qemu MACHINE ELF [extra QEMU args…]              # text to stdout, stderr to stderr
#   run DIR NAME MACHINE ELF DEFMT(yes/no) [args…]   # output in DIR/NAME.out and DIR/NAME.err
#
# MACHINE is a QEMU machine: mps2-an386 (Cortex-M4F), microbit (Cortex-M0), sifive_e (RISC-V).
# `timeout --foreground` ends QEMU itself (exit status 124) and leaves it in the terminal's
# process group, where `-nographic` may set up the terminal when run by hand.

# Seconds one QEMU run may take; the slowest firmware takes about 2 s on a 2-core machine.
QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}

qemu() {
    local machine=$1 elf=$2 system=qemu-system-arm
    shift 2
    [[ "$machine" == sifive_e ]] && system=qemu-system-riscv32
    timeout --foreground "$QEMU_TIMEOUT" "$system" -machine "$machine" -nographic \
        -semihosting-config enable=on,target=native "$@" -kernel "$elf"
}

run() {
    local dir=$1 name=$2 machine=$3 elf=$4 defmt=$5
    shift 5
    if [[ "$defmt" == yes ]]; then
        qemu "$machine" "$elf" "$@" 2>"$dir/$name.err" |
            defmt-print -e "$elf" --log-format "{s}" stdin >"$dir/$name.out"
    else
        qemu "$machine" "$elf" "$@" >"$dir/$name.out" 2>"$dir/$name.err"
    fi
}
