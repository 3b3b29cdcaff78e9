//! The board: an Arm MPS2 with the AN386 image (a Cortex-M4 at 25 MHz), as QEMU emulates it
//! (`qemu-system-arm -machine mps2-an386`). Two of its CMSDK APB UARTs carry the modem line
//! (UART0: datagrams, COBS-framed) and the log (UART1: text lines); SysTick is the
//! millisecond clock.
//!
//! On a product these are the MCU's own UART (or the modem's AT socket) and timer; nothing
//! here reaches the update library, which sees datagrams, a clock and a `NorFlash`.

use core::cell::Cell;

use cortex_m::interrupt::{self, Mutex};
use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use lwm2m_runtime::format::Digits;

/// The AN386's interrupt vectors: its NVIC has 32 lines (QEMU's `mps2-an386` too), all left
/// to the default handler, since the firmware polls its UARTs and enables none. Without a
/// device crate, cortex-m-rt reserves 240 (960 bytes of flash).
#[used]
#[unsafe(link_section = ".vector_table.interrupts")]
#[unsafe(no_mangle)]
pub static __INTERRUPTS: [unsafe extern "C" fn(); 32] = [DefaultHandler; 32];

unsafe extern "C" {
    /// cortex-m-rt's default handler.
    fn DefaultHandler();
}

/// The core clock of the AN386 image.
const CORE_HZ: u32 = 25_000_000;

/// A CMSDK APB UART, polled.
pub struct Uart {
    base: usize,
}

impl Uart {
    /// UART0: the modem line.
    pub const MODEM: usize = 0x4000_4000;
    /// UART1: the log.
    pub const LOG: usize = 0x4000_5000;

    const DATA: usize = 0x00;
    const STATE: usize = 0x04;
    const CTRL: usize = 0x08;
    const BAUDDIV: usize = 0x10;
    const TX_FULL: u32 = 1 << 0;
    const RX_FULL: u32 = 1 << 1;
    const TX_RX_ENABLE: u32 = 0b11;

    /// The UART at `base`, with its transmitter and receiver on.
    ///
    /// # Safety
    /// `base` is one of the board's UARTs, and nothing else drives it.
    pub unsafe fn new(base: usize) -> Self {
        let uart = Self { base };
        // SAFETY: the caller vouches for the address; the registers are 32-bit.
        unsafe {
            uart.set(Self::BAUDDIV, 16);
            uart.set(Self::CTRL, Self::TX_RX_ENABLE);
        }
        uart
    }

    /// # Safety
    /// `offset` is one of the register offsets above.
    unsafe fn get(&self, offset: usize) -> u32 {
        // SAFETY: a register of this UART (the caller's promise and `new`'s).
        unsafe { core::ptr::read_volatile((self.base + offset) as *const u32) }
    }

    /// # Safety
    /// `offset` is one of the register offsets above.
    unsafe fn set(&self, offset: usize, value: u32) {
        // SAFETY: as in `get`.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u32, value) }
    }

    /// Sends `bytes`, waiting while the transmitter is full.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            // SAFETY: STATE and DATA are this UART's registers.
            unsafe {
                while self.get(Self::STATE) & Self::TX_FULL != 0 {}
                self.set(Self::DATA, u32::from(b));
            }
        }
    }

    /// Waits until the transmitter has taken the last byte written (before a reset, which
    /// would cancel it).
    pub fn flush(&mut self) {
        // SAFETY: STATE is this UART's register.
        unsafe { while self.get(Self::STATE) & Self::TX_FULL != 0 {} }
    }

    /// The next byte received, if one is waiting. Polled, one byte deep: QEMU holds the rest
    /// back until it is read; a real UART would need its FIFO, DMA or an interrupt.
    pub fn read(&mut self) -> Option<u8> {
        // SAFETY: STATE and DATA are this UART's registers.
        unsafe { (self.get(Self::STATE) & Self::RX_FULL != 0).then(|| self.get(Self::DATA) as u8) }
    }
}

/// A piece of a log line.
#[derive(Clone, Copy, Debug)]
pub enum Part<'a> {
    /// Text as it is.
    Text(&'a str),
    /// A number in decimal.
    Number(u32),
}

impl Uart {
    /// Writes one log line: `parts` in order, then a newline. Numbers are written without
    /// core's formatting machinery, which the firmware then does not link at all.
    pub fn line(&mut self, parts: &[Part<'_>]) {
        for part in parts {
            match *part {
                Part::Text(text) => self.write(text.as_bytes()),
                Part::Number(n) => self.write(Digits::unsigned(n.into()).as_bytes()),
            }
        }
        self.write(b"\n");
    }
}

/// Stops here for good, asleep between interrupts: where the firmware ends up when it cannot
/// go on (a product resets through its watchdog).
pub fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

/// Milliseconds since the clock started.
static MILLIS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Starts the millisecond clock: SysTick on the core clock, an interrupt a millisecond.
pub fn start_clock(mut syst: SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CORE_HZ / 1000 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Milliseconds since [`start_clock`].
pub fn now() -> u64 {
    interrupt::free(|cs| MILLIS.borrow(cs).get())
}

#[exception]
fn SysTick() {
    interrupt::free(|cs| {
        let ms = MILLIS.borrow(cs);
        ms.set(ms.get() + 1);
    });
}

/// Where the simulated flash lives: SSRAM1 past the program (memory.x keeps sections out of
/// it). No part of the ELF covers it, so QEMU keeps what it holds across a system reset, the
/// way a chip keeps its flash; it is zero when QEMU starts, like a chip fresh from the fab.
const SIM_FLASH: usize = 0x0020_0000;
/// The word after the simulated flash that says the factory image was programmed.
const PROGRAMMED: u32 = 0x4c57_4d32;

/// The simulated flash, `len` bytes, and whether it was programmed before this boot.
///
/// # Safety
/// Called once, with the same `len` on every boot; nothing else uses the region.
pub unsafe fn sim_flash(len: usize) -> (&'static mut [u8], bool) {
    // SAFETY: SSRAM1 is 4 MiB from 0; the region past 2 MiB is ours (the caller's promise).
    unsafe {
        let programmed = core::ptr::read_volatile((SIM_FLASH + len) as *const u32) == PROGRAMMED;
        let flash = core::slice::from_raw_parts_mut(SIM_FLASH as *mut u8, len);
        (flash, programmed)
    }
}

/// Records that the simulated flash of `len` bytes holds the factory image.
///
/// # Safety
/// As for [`sim_flash`].
pub unsafe fn set_programmed(len: usize) {
    // SAFETY: the word after the region, ours as the region is.
    unsafe { core::ptr::write_volatile((SIM_FLASH + len) as *mut u32, PROGRAMMED) }
}

/// Counts this boot, in a word QEMU keeps across a reset (after the simulated flash's
/// marker): a stand-in for the MCU's random number generator when seeding the client, whose
/// message IDs and tokens must differ from one boot to the next.
///
/// # Safety
/// As for [`sim_flash`].
pub unsafe fn boot_count(len: usize) -> u32 {
    let word = (SIM_FLASH + len + 4) as *mut u32;
    // SAFETY: the word after the marker, ours as the region is.
    unsafe {
        let count = core::ptr::read_volatile(word).wrapping_add(1);
        core::ptr::write_volatile(word, count);
        count
    }
}
