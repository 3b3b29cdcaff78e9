//! The board's update core as firmware: the LwM2M client with Objects 3, 4 and 5, the /5
//! state machine, MCUboot image verification, embassy-boot and the persisted records, on a
//! Cortex-M4F without `std`.
//!
//! It exists to be measured (`size.sh` prints its sections). The parts a real product brings
//! are stand-ins: the flash is a RAM buffer behind the same `NorFlash` rules (a product uses
//! its MCU's flash driver), and the modem is two buffers the optimiser cannot see through.
#![no_std]
#![no_main]

use core::hint::black_box;
use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use embedded_alloc::LlffHeap as Heap;
use lwm2m_board::{Board, BoardConfig, Layout, NorSim, keys};
use lwm2m_runtime::client::{Instant, Peer};
use panic_halt as _;

#[global_allocator]
static HEAP: Heap = Heap::empty();
/// coap-lite's heap: the client's peak per request is under 2 KiB (see the heap report).
const HEAP_SIZE: usize = 16 * 1024;

/// Partitions sized for the RAM stand-in: 16 KiB images.
const LAYOUT: Layout = Layout::new(2, 4);
const FLASH_SIZE: usize = LAYOUT.size() as usize;

/// The modem: where datagrams would arrive and leave.
static mut RX: [u8; 1280] = [0; 1280];

#[entry]
fn main() -> ! {
    {
        static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
        // SAFETY: runs once, before anything allocates; the memory is used for nothing else.
        #[allow(static_mut_refs)]
        unsafe {
            HEAP.init(HEAP_MEM.as_ptr() as usize, HEAP_SIZE)
        }
    }
    let Some(storage) = cortex_m::singleton!(: [u8; FLASH_SIZE] = [0xFF; FLASH_SIZE]) else {
        halt()
    };
    // What the flash holds is not known at build time (the factory programs it).
    let storage = black_box(storage);
    let Ok(flash) = NorSim::new(&mut storage[..]) else {
        halt()
    };
    let Some(key) = keys::dev_public_key() else {
        halt()
    };
    let mut endpoint = heapless::String::new();
    let _ = endpoint.push_str("fw-board");
    let config = BoardConfig {
        endpoint,
        layout: LAYOUT,
        key,
        seed: black_box(0x5eed),
        rssi: -75,
        lifetime: 300,
        http: false,
    };
    let Ok(mut board) = Board::start(flash, config, Instant(0)) else {
        halt()
    };
    board.register(Instant(0));
    let mut now = 0u64;
    loop {
        // SAFETY: a single-threaded read of the modem buffer; nothing else touches it.
        #[allow(static_mut_refs)]
        let datagram: &[u8] = unsafe { &RX };
        let len = black_box(datagram.len());
        if len > 0 {
            board.handle(Instant(now), Peer::Server, &datagram[..len]);
        }
        while let Some(out) = board.poll(Instant(now)) {
            black_box(&out.data);
        }
        while board.take_notice().is_some() {}
        if board.reboot_requested().is_some() {
            cortex_m::peripheral::SCB::sys_reset();
        }
        now = black_box(now + 1);
    }
}

fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
