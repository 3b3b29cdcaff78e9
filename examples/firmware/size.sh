#!/usr/bin/env bash
# Builds both firmware builds for thumbv7em-none-eabihf (release) and prints, for each, its
# sections, what each crate takes and (with the nightly toolchain, -Z emit-stack-sizes) the
# largest stack frames; then checks them against their budgets and exits 1 when one is over:
#   lwm2m-firmware       the whole update firmware (client, Objects 3, 4, 5, MCUboot with
#                        Ed25519, embassy-boot, persisted records): 96 KiB of flash;
#   lwm2m-firmware-core  the client with Objects 3, 4 and 5, no crypto and no bootloader: 48 KiB;
#   and no stack frame of the client (lwm2m_runtime) over 4 KiB, in either: measured with the
#   nightly toolchain (-Z emit-stack-sizes) and read with c++filt; without them that budget
#   is reported as not measured, and the script exits 1.
# DTLS is counted apart, over the whole firmware.
set -euo pipefail
cd "$(dirname "$0")"
target=thumbv7em-none-eabihf
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  rustup target add "$target" || { echo "the $target target is not installed and could not be added" >&2; exit 1; }
fi
root="$(cd ../.. && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/firmware}"
cargo build --release --quiet
stack_dir="$root/target/firmware-stack"
nightly=no
if rustup +nightly target add "$target" >/dev/null 2>&1; then
  nightly=yes
else
  echo "(no nightly toolchain with $target: stack frames not measured)"
fi
status=0
# report NAME FLASH_BUDGET
report() {
  local elf="$CARGO_TARGET_DIR/$target/release/$1" stack_elf=""
  if [ "$nightly" = yes ] &&
    CARGO_TARGET_DIR="$stack_dir" cargo +nightly rustc --release --quiet --bin "$1" -- -Z emit-stack-sizes; then
    stack_elf="$stack_dir/$target/release/$1"
  fi
  echo
  python3 size.py --budget "$2" --frame-budget 4096 "$elf" $stack_elf || status=1
}
report lwm2m-firmware $((96 * 1024))
report lwm2m-firmware-core $((48 * 1024))
# DTLS, counted apart: Mbed TLS is C, built with arm-none-eabi-gcc (Debian gcc-arm-none-eabi
# and libnewlib-arm-none-eabi).
if command -v arm-none-eabi-gcc >/dev/null; then
  dtls_dir="$root/target/firmware-dtls"
  CARGO_TARGET_DIR="$dtls_dir" cargo build --release --quiet --features dtls --bin lwm2m-firmware
  python3 size.py --compare "$CARGO_TARGET_DIR/$target/release/lwm2m-firmware" \
    "$dtls_dir/$target/release/lwm2m-firmware"
else
  echo "(arm-none-eabi-gcc is not installed: the DTLS build is not measured)"
fi
if [ "$status" -ne 0 ]; then
  echo
  echo "size.sh: a budget is exceeded (see 'budget:' above)"
fi
exit "$status"
