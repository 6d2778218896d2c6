#!/usr/bin/env python3
"""Seed corpus of fuzz/fuzz_exits.c: exit sequences a real guest makes
(UART set-up and output, i8042 probe and reset, debug exit, each hypercall
with real tag arrays and text in guest RAM, unclaimed MMIO, console input,
each other exit reason), in the harness's
input format (see the comment at the top of fuzz_exits.c).  The output is
committed; run this only after changing the format:
	python3 fuzz/corpus/gen_exit_seeds.py fuzz/corpus/fuzz_exits
"""
import os
import struct
import sys

PIO, DEV, MMIO, HCALL, INPUT, OTHER, RAM, DOORBELL = range(8)
# device_port() indexes: COM1 + 0..7, i8042 data, i8042 command, debug exit...
THR, IER, FCR, LCR, MCR, LSR, MSR, SCR, KBD_DATA, KBD_CMD, DEBUG_EXIT = range(11)
SIZE1, SIZE2, SIZE4 = range(3)


def dev(which, value=None, size=SIZE1, data=b""):
    """One device port access: a write of `data` (or `value`) or a read."""
    if value is not None:
        data = bytes([value])
    if data:
        width = (1, 2, 4)[size]
        count = len(data) // width
        return bytes([DEV, which, size, 1, count - 1]) + data
    return bytes([DEV, which, size, 0, 0])


def arg_small(v):
    return bytes([1, v & 0xff])


def arg_low_ram(addr):
    return bytes([3]) + struct.pack("<I", addr)


def hcall(nr, *args):
    args = list(args) + [arg_small(0)] * (4 - len(args))
    # io_exit's size/dir/count (then 4 data bytes for an OUT of 4), nr.
    return bytes([HCALL, SIZE4, 1, 0]) + b"\0" * 4 + bytes([0, nr]) + b"".join(args)


def doorbell(nr, *args):
    """A hypercall through the pvm backend's MMIO doorbell (a 4-byte store)."""
    return bytes([DOORBELL, 3]) + hcall(nr, *args)[1:]


def mmio(addr, length, write, data=b"\0" * 8):
    return bytes([MMIO]) + struct.pack("<Q", addr) + bytes([length - 1, write]) + data


def other(which, detail=0):
    return bytes([OTHER, which]) + struct.pack("<I", detail)


def ram(addr, data):
    """The guest stores `data` at low-RAM address `addr` (no exit)."""
    out = b""
    while data:
        chunk, data = data[:255], data[255:]
        out += bytes([RAM, 0]) + struct.pack("<I", addr) + bytes([len(chunk)]) + chunk
        addr += len(chunk)
    return out


def tags(*entries):
    return b"".join(struct.pack("<IIQ", tag, 0, value) for tag, value in entries)


def seed(*records, flags=0, limit=0):
    return bytes([flags, limit]) + b"".join(records)


uart_init = [dev(LCR, 0x80), dev(THR, 12), dev(IER, 0), dev(LCR, 0x03), dev(FCR, 0xc7),
             dev(MCR, 0x0b), dev(IER, 0x03), dev(LSR)]
seeds = {
    "uart-hello": seed(*uart_init, dev(THR, data=b"hello\n"), dev(IER, 0x00)),
    "uart-loopback": seed(dev(MCR, 0x1f), dev(THR, data=b"ab"), dev(LSR), dev(THR), dev(MSR),
                          dev(MCR, 0x03), dev(MSR)),
    "uart-input": seed(*uart_init, bytes([INPUT, 5]) + b"hello", dev(LSR), dev(FCR),
                       dev(THR, size=SIZE1), dev(THR), bytes([INPUT, 20]) + b"x" * 20, dev(LSR)),
    "uart-wide": seed(dev(THR, size=SIZE4, data=b"\x03\x00\xc7\x0b"), dev(THR, size=SIZE2)),
    "i8042-probe-reset": seed(dev(KBD_CMD, 0x20), dev(KBD_DATA), dev(KBD_CMD, 0xaa),
                              dev(KBD_DATA), dev(KBD_CMD, 0x60), dev(KBD_DATA, 0x47),
                              dev(KBD_CMD, 0xfe)),
    "i8042-output-port": seed(dev(KBD_CMD, 0xd1), dev(KBD_DATA, 0xfe)),
    "debug-exit": seed(dev(DEBUG_EXIT, size=SIZE4, data=struct.pack("<I", 0xdeadbe42))),
    "hypercalls": seed(hcall(3, arg_small(0)), hcall(3, arg_small(1)), hcall(3, arg_small(9)),
                       hcall(1, arg_low_ram(0x2000), arg_small(16)),
                       hcall(0, arg_low_ram(0x3000), arg_small(4)),
                       hcall(4, arg_small(5)), hcall(9), hcall(2, arg_small(7))),
    "hypercall-hostile": seed(hcall(1, bytes([5, 1, 0]), bytes([6, 1])),
                              hcall(0, bytes([4, 4, 0]), arg_small(64)),
                              hcall(1, bytes([9, 8, 0]), arg_small(16)),
                              hcall(2, bytes([2, 0, 1]))),
    "console-limit": seed(hcall(1, arg_low_ram(0x2000), bytes([2, 0, 4])), flags=2, limit=4),
    "mmio": seed(mmio(0xd0000000, 4, 1), mmio(0xd0000000, 4, 0), mmio(0xfee00000, 8, 0),
                 mmio(0xffffffffffffff00, 2, 1)),
    "unknown-ports": seed(bytes([PIO, 0xf8, 0x02, SIZE1, 1, 0, 0x41]), bytes([PIO, 0x34, 0x12, SIZE2, 0, 3]),
                          bytes([PIO, 0x80, 0x00, SIZE4, 0, 0])),
    "no-sync-regs": seed(hcall(3, arg_small(0)), flags=1),
    "negotiate-tags": seed(ram(0x3000, tags((1, 0x10000), (2, 1), (3, 0), (4, 1), (0x1234, 9))),
                           hcall(0, arg_low_ram(0x3000), arg_small(5)),
                           ram(0x3001, tags((2, 0), (4, 0))),
                           hcall(0, arg_low_ram(0x3001), arg_small(2))),
    "pvm-doorbell": seed(ram(0x2000, b"via the doorbell\n"),
                         doorbell(1, arg_low_ram(0x2000), arg_small(17)),
                         doorbell(3, arg_small(0)), doorbell(0, arg_low_ram(0x3000), arg_small(0)),
                         mmio(0xfefff000, 4, 0), doorbell(2, arg_small(3)), flags=4),
    "console-text": seed(ram(0x2000, b"hello from guest RAM\n"),
                         hcall(1, arg_low_ram(0x2000), arg_small(21))),
}
for i, name in enumerate(["intr", "shutdown", "fail-entry", "internal-error", "system-event",
                          "unknown", "debug", "irq-window", "bogus"]):
    seeds["exit-" + name] = seed(dev(SCR, 0x5a), other(i, 2))

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {out}")
