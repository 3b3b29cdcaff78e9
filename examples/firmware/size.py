#!/usr/bin/env python3
"""Size report of the firmware ELF: sections, per-crate attribution from the symbol table,
and, when the ELF has a .stack_sizes section (built with -Z emit-stack-sizes), the largest
stack frames. With --budget, checks the flash (vector table, .text, .rodata, .data) against
it, and with --frame-budget the largest stack frame of the client (lwm2m_runtime); exits 1
when one is over.
Usage: size.py [--budget BYTES] [--frame-budget BYTES] FIRMWARE.elf [STACK_SIZES.elf]
       size.py --compare FIRMWARE.elf DTLS_FIRMWARE.elf"""
import argparse, re, struct, sys
from collections import defaultdict

class Elf:
    def __init__(self, path):
        self.data = open(path, 'rb').read()
        d = self.data
        assert d[:4] == b'\x7fELF' and d[4] == 1, f'{path}: not a 32-bit ELF'
        shoff, = struct.unpack_from('<I', d, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from('<HHH', d, 0x2e)
        raw = [struct.unpack_from('<IIIIIIIIII', d, shoff + i * shentsize) for i in range(shnum)]
        stroff = raw[shstrndx][4]
        self.sections = []
        for (name, kind, flags, addr, off, size, link, info, align, entsize) in raw:
            self.sections.append(dict(name=self.cstr(stroff + name), kind=kind, addr=addr, off=off,
                                      size=size, link=link, entsize=entsize))
    def cstr(self, off):
        return self.data[off:self.data.index(b'\0', off)].decode('utf-8', 'replace')
    def section(self, name):
        return next((s for s in self.sections if s['name'] == name), None)
    def symbols(self):
        symtab = self.section('.symtab')
        if not symtab:
            return []
        strtab = self.sections[symtab['link']]
        out = []
        for i in range(symtab['size'] // 16):
            name, value, size, info, other, shndx = struct.unpack_from('<IIIBBH', self.data, symtab['off'] + i * 16)
            if size and 0 < shndx < len(self.sections):
                out.append((self.cstr(strtab['off'] + name), value & ~1, size, self.sections[shndx]['name']))
        return out

def crate_of(symbol):
    """The crate a Rust symbol belongs to. v0-mangled (the standard library's): the first
    crate named. Legacy-mangled: the first path segment, or for `<T as Trait>` the trait's
    crate, for `<T>` the type's."""
    v0 = symbol.startswith('_R') and re.search(r'Cs[0-9a-zA-Z]*_(\d+)_?', symbol)
    if v0:
        # Rust's v0 mangling (the standard library's own symbols): the first crate named (a
        # `_` after the length starts an identifier that begins with `_` or a digit).
        n = int(v0.group(1))
        return symbol[v0.end():v0.end() + n]
    m = re.match(r'_ZN(\d+)', symbol)
    if not m:
        return '[C / compiler builtins]'
    n = int(m.group(1))
    first = symbol[m.end():m.end() + n]
    if first.startswith('_$LT$'):
        body = first[len('_$LT$'):]
        if '$u20$as$u20$' in body:
            body = body.split('$u20$as$u20$', 1)[1]
        body = re.sub(r'^(\$RF\$|\$BP\$|mut\$u20\$|\$u5b\$)+', '', body)
        crate = re.match(r'[a-z_][a-z0-9_]*', body)
        if crate and '..' in body:
            return crate.group()
        return 'core'  # a primitive or a type parameter: the standard library's impl
    return first

def flash_of(elf):
    size = lambda n: (elf.section(n) or {}).get('size', 0)
    return size('.vector_table') + size('.text') + size('.rodata') + size('.data')

def compare(base_path, dtls_path):
    """What the `dtls` feature adds: flash, and static RAM apart from the heap it enlarges."""
    base, dtls = Elf(base_path), Elf(dtls_path)
    c_lib = defaultdict(int)
    for name, _, sz, sec in dtls.symbols():
        if sec in ('.text', '.rodata') and crate_of(name) in ('lwm2m_dtls', '[C / compiler builtins]'):
            c_lib[crate_of(name)] += sz
    print(f'\n  with DTLS (--features dtls: lwm2m-dtls over Mbed TLS, PSK AES-128-CCM-8)')
    print(f'  flash: {flash_of(dtls)} B, {flash_of(dtls) - flash_of(base):+} B over the build without it')
    print(f'  lwm2m_dtls {c_lib["lwm2m_dtls"]} B; C code and builtins {c_lib["[C / compiler builtins]"]} B (Mbed TLS is C)')

def stack_frames(path):
    """(bytes, symbol) for every function in the ELF's .stack_sizes section, or None."""
    stack = Elf(path)
    s = stack.section('.stack_sizes')
    if not s:
        return None
    names = {addr: name for name, addr, _, sec in stack.symbols() if sec == '.text'}
    frames, d, i, end = [], stack.data, s['off'], s['off'] + s['size']
    while i < end:
        addr, = struct.unpack_from('<I', d, i); i += 4
        val, shift = 0, 0
        while True:
            b = d[i]; i += 1
            val |= (b & 0x7f) << shift; shift += 7
            if b < 0x80: break
        frames.append((val, names.get(addr & ~1, hex(addr))))
    return frames

def verdict(what, value, budget):
    """Prints `value` against `budget`; whether it is within."""
    within = value <= budget
    state = 'within' if within else f'OVER by {value - budget} B'
    print(f'  budget: {what} {value} B of {budget} B: {state}')
    return within

def main():
    if sys.argv[1] == '--compare':
        return compare(sys.argv[2], sys.argv[3])
    args = argparse.ArgumentParser()
    args.add_argument('--budget', type=int)
    args.add_argument('--frame-budget', type=int)
    args.add_argument('elf')
    args.add_argument('stack_elf', nargs='?')
    args = args.parse_args()
    elf = Elf(args.elf)
    size = lambda n: (elf.section(n) or {}).get('size', 0)
    print(args.elf)
    for n in ['.vector_table', '.text', '.rodata', '.data', '.bss', '.uninit']:
        print(f'  {n:<14} {size(n):>8} B')
    flash = flash_of(elf)
    print(f'  flash (vector table + text + rodata + data): {flash} B')
    print(f'  static RAM (data + bss):                     {size(".data") + size(".bss")} B')

    per = defaultdict(lambda: defaultdict(int))
    for name, _, sz, sec in elf.symbols():
        if sec in ('.text', '.rodata', '.data', '.bss'):
            per[crate_of(name)][sec] += sz
    print('\n  by crate (symbol sizes; inlined code counts where it landed)')
    print(f'  {"crate":<28} {".text":>8} {".rodata":>8} {".data":>6} {".bss":>7}')
    rows = sorted(per.items(), key=lambda kv: -kv[1]['.text'])
    for crate, secs in rows[:25]:
        print(f'  {crate:<28} {secs[".text"]:>8} {secs[".rodata"]:>8} {secs[".data"]:>6} {secs[".bss"]:>7}')

    frames = stack_frames(args.stack_elf) if args.stack_elf else None
    if args.stack_elf and frames is None:
        print('\n  no .stack_sizes section: stack frames not measured')
    if frames:
        print(f'\n  largest stack frames (of {len(frames)} functions; a frame, not a call chain)')
        for val, name in sorted(frames, reverse=True)[:12]:
            print(f'  {val:>7} B  {demangle(name)}')

    print()
    within = True
    if args.budget is not None:
        within &= verdict('flash', flash, args.budget)
    if args.frame_budget is not None:
        import shutil
        client = [(v, n) for v, n in frames or []
                  if re.match(r'<?lwm2m_runtime::', demangle(n))]
        if not client:
            # No stack sizes (no nightly), or no name read (no c++filt): nothing was checked.
            why = 'no .stack_sizes' if not frames else 'c++filt is missing' \
                if not shutil.which('c++filt') else 'no client function found'
            print(f'  budget: the client stack frames were not measured ({why})')
            within = False
        else:
            val, name = max(client)
            within &= verdict(f'largest client stack frame ({demangle(name)})', val,
                              args.frame_budget)
    sys.exit(0 if within else 1)

def demangle(name):
    """The symbol demangled by c++filt (GNU binutils reads Rust's v0 and legacy manglings),
    crate hashes dropped; the mangled name when c++filt is missing."""
    import shutil, subprocess
    if not shutil.which('c++filt'):
        return name
    text = subprocess.run(['c++filt'], input=name, capture_output=True, text=True).stdout.strip()
    text = re.sub(r'\[[0-9a-f]+\]', '', text)
    text = re.sub(r'::h[0-9a-f]{16}$', '', text)
    return text if len(text) <= 110 else text[:107] + '...'

main()
