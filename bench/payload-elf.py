#!/usr/bin/env python3
"""payload-elf.py BZIMAGE OUT.elf: write the ELF vmlinux inside a bzImage.

QEMU boots Linux through PVH only from an ELF with the PVH note, while
Debian ships a bzImage: the ELF is the bzImage's compressed payload
(setup header fields payload_offset and payload_length, boot protocol
2.08+).  pvkit takes it out by itself (--entry pvh); for QEMU the bench
does it here, independently of pvkit's boot library, with Python's own
decompressors or the lz4/zstd tools.
"""
import bz2, lzma, struct, subprocess, sys, zlib


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: payload-elf.py BZIMAGE OUT.elf")
    image = open(sys.argv[1], "rb").read()
    if image[0x202:0x206] != b"HdrS":
        sys.exit(f"{sys.argv[1]}: not a bzImage (no HdrS)")
    setup_sects = image[0x1F1] or 4
    payload_offset, payload_length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sects + 1) * 512 + payload_offset
    payload = image[start:start + payload_length]
    if len(payload) != payload_length:
        sys.exit(f"{sys.argv[1]}: payload outside the file")
    # Linux appends the decompressed size (4 bytes) after the stream, so
    # each decompressor reads one stream and leaves what follows alone.
    if payload[:2] == b"\x1f\x8b":
        elf = zlib.decompressobj(wbits=31).decompress(payload)
    elif payload[:3] == b"BZh":
        elf = bz2.BZ2Decompressor().decompress(payload)
    elif payload[:6] == b"\xfd7zXZ\x00":
        elf = lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(payload)
    elif payload[:3] == b"\x5d\x00\x00":
        elf = lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(payload)
    elif payload[:4] in (b"\x02\x21\x4c\x18", b"\x28\xb5\x2f\xfd"):
        tool = "lz4" if payload[0] == 0x02 else "zstd"
        # the tools may complain about the size trailer after writing everything
        elf = subprocess.run([tool, "-dc"], input=payload, capture_output=True).stdout
    elif payload[:4] == b"\x7fELF":
        elf = payload
    else:
        sys.exit(f"{sys.argv[1]}: unknown payload compression {payload[:4].hex()}")
    if elf[:4] != b"\x7fELF":
        sys.exit(f"{sys.argv[1]}: payload did not decompress to an ELF")
    if payload[:4] != b"\x7fELF" and struct.unpack("<I", payload[-4:])[0] != len(elf):
        # a tool that stopped early must not hand QEMU half a kernel
        sys.exit(f"{sys.argv[1]}: payload decompressed to {len(elf)} bytes, "
                 f"the size trailer says {struct.unpack('<I', payload[-4:])[0]}")
    open(sys.argv[2], "wb").write(elf)


main()
