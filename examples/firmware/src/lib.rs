//! What both firmware builds share: the board QEMU emulates (`mps2`: UARTs, SysTick clock,
//! the simulated flash, and `flash`, its driver), the modem line (`modem`: COBS-framed
//! datagrams over UART0), the RAM measurement (`measure`), the C memory functions sized for
//! flash (`mem`), the heap, and [`start`].
//!
//! The builds: `lwm2m-firmware` (src/main.rs) is the whole update firmware;
//! `lwm2m-firmware-core` (src/bin/core.rs) is the LwM2M client with Objects 3, 4 and 5 and
//! nothing else, the configuration `size.sh` compares with other clients' cores.
#![no_std]

use core::mem::MaybeUninit;

use embedded_alloc::LlffHeap as Heap;

pub mod flash;
pub mod measure;
#[cfg(target_os = "none")]
pub mod mem;
pub mod modem;
pub mod mps2;

use modem::Modem;
use mps2::Part::{Number, Text};
use mps2::{Uart, halt};

/// The heap, counted (see [`measure::Counting::peak`]).
#[global_allocator]
pub static HEAP: measure::Counting<Heap> = measure::Counting::new(Heap::empty());
/// The heap's arena: the client's session, its observations and written attributes, the
/// answers kept for duplicates (2.25 KiB at most), the CoAP messages. Its peak over a whole
/// update with 1 KiB blocks is 3.1 KiB (what the firmware logs as `heap peak`). A busier
/// server can take more: with 8 observations, 16 written attributes, a full duplicate cache,
/// notifications queued and a 1 KiB block taken while a read is answered, 9.4 KiB on a 64-bit
/// host (`cargo test -p lwm2m-tests --test heap`, which checks it stays under 12 KiB), less
/// here. Running out halts the device, so the arena is sized for that.
#[cfg(not(feature = "dtls"))]
const HEAP_SIZE: usize = 12 * 1024;
/// Plus Mbed TLS's: two 1.5 KiB record buffers, the session and the handshake's state.
#[cfg(feature = "dtls")]
const HEAP_SIZE: usize = 32 * 1024;

/// Starts the board, first thing at reset: paints the stack, starts the millisecond clock,
/// gives the heap its arena. Returns the log (UART1) and the modem line (UART0). Call once.
// Inlined into `main`: as a call it made the update firmware 0.8 KB larger (measured).
#[inline(always)]
pub fn start() -> (Uart, Modem) {
    measure::paint_stack();
    let Some(core) = cortex_m::Peripherals::take() else {
        halt()
    };
    mps2::start_clock(core.SYST);
    {
        static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
        // SAFETY: runs once (the peripherals above are taken once), before anything
        // allocates; the memory is used for nothing else.
        unsafe { HEAP.inner.init(&raw mut HEAP_MEM as usize, HEAP_SIZE) }
    }
    // SAFETY: the board's UART1 and UART0, each driven only through what is returned.
    let log = unsafe { Uart::new(Uart::LOG) };
    let modem = Modem::new(unsafe { Uart::new(Uart::MODEM) });
    (log, modem)
}

/// Logs what this boot used of the RAM so far, as `program: RAM: stack high-water N B, heap
/// peak N B, static N B`.
pub fn log_ram(log: &mut Uart, program: &str) {
    log.line(&[
        Text(program),
        Text(": RAM: stack high-water "),
        Number(measure::stack_high_water() as u32),
        Text(" B, heap peak "),
        Number(HEAP.peak() as u32),
        Text(" B, static "),
        Number(measure::static_ram() as u32),
        Text(" B"),
    ]);
}
