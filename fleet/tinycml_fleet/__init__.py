"""A fleet that meta-learns together: tinycml devices as Flower clients.

Each device runs CML meta-steps in Q16.16 with the library's own command-line tool
(`examples/fleet_device.rs`) or, for emulated devices, the Cortex-M4F fleet firmware under
QEMU; θ travels between server and devices as the library's format-5 export (Q8.24 bits,
CRC-32), and the server aggregates it with Flower's own strategies after validating every
reply (`exports.py`, `strategy.py`).
"""
