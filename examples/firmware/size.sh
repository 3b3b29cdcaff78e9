#!/usr/bin/env bash
# Builds the firmware for thumbv7em-none-eabihf (release) and prints its section sizes.
set -euo pipefail
cd "$(dirname "$0")"
target=thumbv7em-none-eabihf
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  rustup target add "$target" || { echo "the $target target is not installed and could not be added" >&2; exit 1; }
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-../../target/firmware}"
cargo build --release --quiet
elf="$CARGO_TARGET_DIR/$target/release/lwm2m-firmware"
python3 - "$elf" <<'PY'
import struct, sys
path = sys.argv[1]
data = open(path, 'rb').read()
assert data[:4] == b'\x7fELF' and data[4] == 1, 'a 32-bit ELF'
shoff, = struct.unpack_from('<I', data, 0x20)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x2e)
sections = []
for i in range(shnum):
    name, kind, flags, addr, off, size = struct.unpack_from('<IIIIII', data, shoff + i * shentsize)
    sections.append((name, kind, flags, size))
strtab_off = struct.unpack_from('<IIIIII', data, shoff + shstrndx * shentsize)[4]
def name_of(n):
    end = data.index(b'\0', strtab_off + n)
    return data[strtab_off + n:end].decode()
sizes = {}
for n, kind, flags, size in sections:
    sizes[name_of(n)] = size
text = sizes.get('.vector_table', 0) + sizes.get('.text', 0) + sizes.get('.rodata', 0)
print(f"{path}")
print(f"  .vector_table {sizes.get('.vector_table', 0):>8} B")
print(f"  .text         {sizes.get('.text', 0):>8} B")
print(f"  .rodata       {sizes.get('.rodata', 0):>8} B")
print(f"  .data         {sizes.get('.data', 0):>8} B")
print(f"  .bss          {sizes.get('.bss', 0):>8} B")
print(f"  flash (vector table + text + rodata + data): {text + sizes.get('.data', 0)} B")
print(f"  static RAM (data + bss, heap included):      {sizes.get('.data', 0) + sizes.get('.bss', 0)} B")
PY
