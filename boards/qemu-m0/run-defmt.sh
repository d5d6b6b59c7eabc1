#!/usr/bin/env bash
# Runs a firmware on QEMU's microbit and decodes its defmt output; the exit status is the
# firmware's (semihosting exit), or defmt-print's if decoding failed; a firmware still running
# after 5 minutes is ended (status 124), so a hung one fails CI instead of hanging it.
set -euo pipefail
timeout --foreground 300 qemu-system-arm -machine microbit -nographic -semihosting-config enable=on,target=native \
    -kernel "$1" | defmt-print -e "$1" --log-format "{s}" stdin
