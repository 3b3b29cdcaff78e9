//! What the firmware uses of the chip's RAM, measured on the chip: the stack's high-water
//! mark (the stack is painted at boot, and the deepest word overwritten since is found), the
//! heap's peak (the allocator counts), and the static RAM (from the linker's symbols).

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};

/// What an unused stack word holds.
const PAINT: u32 = 0xa5a5_a5a5;
/// The bytes just below the stack pointer that painting leaves alone (the painter's callees
/// and an exception frame with the FPU's registers).
const MARGIN: usize = 256;

// Addresses from cortex-m-rt's linker script, declared zero-sized: only their addresses are
// used, never memory behind them.
unsafe extern "C" {
    /// The start of RAM's statics.
    static __sdata: [u32; 0];
    /// The end of the statics, where the stack may grow down to.
    static _stack_end: [u32; 0];
    /// The top of the stack (one past the end of RAM).
    static _stack_start: [u32; 0];
}

/// Paints the unused stack. Call first thing in `main`, before interrupts are enabled.
#[inline(never)]
pub fn paint_stack() {
    // SAFETY: the words between the end of the statics and MARGIN below the stack pointer
    // are unused stack; nothing else runs yet.
    unsafe {
        let bottom = &raw const _stack_end as usize;
        let top = cortex_m::register::msp::read() as usize - MARGIN;
        let mut at = bottom;
        while at < top {
            core::ptr::write_volatile(at as *mut u32, PAINT);
            at += 4;
        }
    }
}

/// The most stack used since [`paint_stack`], in bytes.
pub fn stack_high_water() -> usize {
    // SAFETY: reads of the stack region, word by word, below where it is in use.
    unsafe {
        let bottom = &raw const _stack_end as usize;
        let top = &raw const _stack_start as usize;
        let mut at = bottom;
        while at < top && core::ptr::read_volatile(at as *const u32) == PAINT {
            at += 4;
        }
        top - at
    }
}

/// The RAM the statics take (`.data`, `.bss`, `.uninit`, the heap's array among them), in
/// bytes.
pub fn static_ram() -> usize {
    // Only the symbols' addresses are taken.
    (&raw const _stack_end as usize) - (&raw const __sdata as usize)
}

/// An allocator that counts what it hands out around another: bytes in use and the peak.
pub struct Counting<A> {
    /// The allocator that does the work.
    pub inner: A,
    used: AtomicUsize,
    peak: AtomicUsize,
}

impl<A> Counting<A> {
    /// Counts around `inner`.
    pub const fn new(inner: A) -> Self {
        Self {
            inner,
            used: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// The most bytes in use at once so far.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    fn grew(&self, by: usize) {
        let now = self.used.fetch_add(by, Ordering::Relaxed) + by;
        self.peak.fetch_max(now, Ordering::Relaxed);
    }
}

// SAFETY: every call goes to `inner`, which upholds the contract; the counting has no effect
// on the memory handed out.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's promises, passed on.
        let p = unsafe { self.inner.alloc(layout) };
        if !p.is_null() {
            self.grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { self.inner.dealloc(ptr, layout) };
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // A realloc may hold the old block and the new one at once (allocate, copy,
            // free): the peak counts both.
            self.grew(new_size);
            self.used.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}
