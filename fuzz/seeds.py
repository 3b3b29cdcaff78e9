#!/usr/bin/env python3
"""Writes the seed corpora in seeds/<target>/ from the project's own test data."""
import os, shutil, struct, glob

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

def out(target, name, data):
    d = os.path.join(HERE, 'seeds', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

def option_bytes(options):
    """options: list of (number, bytes), any order."""
    res, last = b'', 0
    for num, val in sorted(options, key=lambda o: o[0]):
        delta, length = num - last, len(val)
        def nib(v):
            if v < 13: return v, b''
            if v < 269: return 13, bytes([v - 13])
            return 14, struct.pack('>H', v - 269)
        dn, dx = nib(delta); ln, lx = nib(length)
        res += bytes([dn << 4 | ln]) + dx + lx + val
        last = num
    return res

def coap(kind, code, mid, token, options, payload=b''):
    head = bytes([0x40 | kind << 4 | len(token), code]) + struct.pack('>H', mid) + token
    return head + option_bytes(options) + (b'\xff' + payload if payload else b'')

def path(p):
    return [(11, s.encode()) for s in p.strip('/').split('/')]

def uint(v):
    b = v.to_bytes(4, 'big').lstrip(b'\0')
    return b

CON, NON, ACK = 0, 1, 2
GET, POST, PUT = 1, 2, 3
CREATED, CONTENT, CONTINUE = 0x41, 0x45, 0x5f

def datagrams(*ds):
    """client_datagram's framing: a length byte, a peer byte, the bytes."""
    return b''.join(bytes([min(len(d), 255), p]) + d[:255] for p, d in ds)

# client_datagram
reg_ack = coap(ACK, CREATED, 0, b'', [(8, b'rd'), (8, b'1')])
out('client_datagram', 'read', datagrams((0, reg_ack), (0, coap(CON, GET, 1, b'\x01', path('/3/0')))))
out('client_datagram', 'observe', datagrams((0, coap(CON, GET, 2, b'\x02', [(6, b'')] + path('/5/0/3') + [(17, b'')]))))
out('client_datagram', 'uri', datagrams((0, coap(CON, PUT, 3, b'\x03', path('/5/0/1') + [(12, b'')], b'coap://127.0.0.1/fw.bin')),
                                        (1, coap(ACK, CONTENT, 4, b'\x04', [(23, bytes([0x0e])), (28, uint(100))], b'x' * 64))))
out('client_datagram', 'execute', datagrams((0, coap(CON, POST, 5, b'\x05', path('/5/0/2'))), (0, coap(CON, POST, 6, b'\x06', path('/3/0/4'), b"0='a',1"))))
out('client_datagram', 'attributes', datagrams((0, coap(CON, PUT, 7, b'\x07', path('/3/0/11') + [(15, b'pmin=1'), (15, b'gt=3')]))))
out('client_datagram', 'discover', datagrams((0, coap(CON, GET, 8, b'\x08', path('/3') + [(17, uint(40))]))))

# formats: selector (0 text, 1 opaque, 2 TLV, 3 SenML JSON, 4 SenML CBOR, 5 LwM2M CBOR, 6 link), depth
out('formats', 'text', bytes([0, 1]) + b'-40')
out('formats', 'tlv', bytes([2, 0]) + bytes([0xC8, 0x00, 0x05]) + b'hello' + bytes([0x86, 0x01, 0x41, 0x00, 20, 0x41, 0x03, 25]))
out('formats', 'senml-json', bytes([3, 0]) + b'[{"bn":"/30000/0/","n":"1","v":5.0},{"n":"0","vs":"caf\\u00e9"},{"n":"4","vd":"AQID"}]')
out('formats', 'senml-cbor', bytes([4, 0]) + bytes.fromhex('81a2006a2f33303030302f302f3102182a'))
out('formats', 'lwm2m-cbor', bytes([5, 0]) + bytes.fromhex('bf19753abf00bf0001ffffff'))

# block1: number, flags (bit 0 more, bits 1-3 szx, 0x40 Size1, 0x80 duplicate), length/8
seq = b''
for n in range(4):
    seq += bytes([n, 1 | (2 << 1), 4]) + b'\0' * 4
seq += bytes([4, 2 << 1, 2]) + b'\0' * 2
out('block1', 'in-order', seq)
out('block1', 'duplicate-and-gap', bytes([0, 0x41 | (6 << 1), 128]) + b'\0' * 128 + bytes([0, 0x81 | (6 << 1), 128]) + b'\0' * 128 + bytes([3, 1 | (6 << 1), 128]) + b'\0' * 128)

# xml: our definitions and the generator's fixtures
for f in glob.glob(os.path.join(ROOT, 'objects/xml/*.xml')) + glob.glob(os.path.join(ROOT, 'tests/xml/*.xml')) + glob.glob(os.path.join(ROOT, 'codegen/tests/fixtures/*/input.xml')):
    out('xml', os.path.relpath(f, ROOT).replace('/', '_'), open(f, 'rb').read())

# range: the forms the registry holds
for i, text in enumerate(['0..255', '-1..1', '-100.0..100.0', '1...15', '16,32,48', '5, 10, 15, 20', '0..247, 255',
                          '0; 3.8..20.5', '6', '0..255 bytes', '1..64 Bytes', '0: disabled\n1: enabled', '-30..-120',
                          'see the description', '0-3']):
    out('range', f'r{i}', text.encode())

# image: the imgtool vector
shutil.copy(os.path.join(ROOT, 'runtime/fota/tests/vectors/imgtool-1.2.3.bin'), os.path.join(HERE, 'seeds', 'image', 'imgtool-1.2.3.bin')) if os.makedirs(os.path.join(HERE, 'seeds', 'image'), exist_ok=True) is None else None
