#!/usr/bin/env bash
# Builds the firmware for thumbv7em-none-eabihf (release) and prints its sections, what each
# crate takes, and (with the nightly toolchain, -Z emit-stack-sizes) the largest stack frames.
set -euo pipefail
cd "$(dirname "$0")"
target=thumbv7em-none-eabihf
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  rustup target add "$target" || { echo "the $target target is not installed and could not be added" >&2; exit 1; }
fi
root="$(cd ../.. && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/firmware}"
cargo build --release --quiet
elf="$CARGO_TARGET_DIR/$target/release/lwm2m-firmware"
stack_elf=""
if rustup +nightly target add "$target" >/dev/null 2>&1; then
  stack_dir="$root/target/firmware-stack"
  if CARGO_TARGET_DIR="$stack_dir" cargo +nightly rustc --release --quiet -- -Z emit-stack-sizes; then
    stack_elf="$stack_dir/$target/release/lwm2m-firmware"
  fi
else
  echo "(no nightly toolchain with $target: stack frames not measured)"
fi
python3 size.py "$elf" $stack_elf
# DTLS, counted apart: Mbed TLS is C, built with arm-none-eabi-gcc (Debian gcc-arm-none-eabi
# and libnewlib-arm-none-eabi).
if command -v arm-none-eabi-gcc >/dev/null; then
  dtls_dir="$root/target/firmware-dtls"
  CARGO_TARGET_DIR="$dtls_dir" cargo build --release --quiet --features dtls
  python3 size.py --compare "$elf" "$dtls_dir/$target/release/lwm2m-firmware"
else
  echo "(arm-none-eabi-gcc is not installed: the DTLS build is not measured)"
fi
