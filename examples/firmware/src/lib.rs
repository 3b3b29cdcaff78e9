//! What both firmware builds share: the board QEMU emulates (`mps2`: UARTs, SysTick clock,
//! the simulated flash, and `flash`, its driver), the modem line (`modem`: COBS-framed datagrams over UART0) and the
//! RAM measurement (`measure`).
//!
//! The builds: `lwm2m-firmware` (src/main.rs) is the whole update firmware; `lwm2m-firmware-core`
//! (src/bin/core.rs) is the LwM2M client with Objects 3, 4 and 5 and nothing else, the
//! configuration `size.sh` compares with other clients' cores.
#![no_std]

pub mod flash;
pub mod measure;
pub mod modem;
pub mod mps2;
