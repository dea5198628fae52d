# Builds a SignedData (RFC 5652 §5) over file.txt whose signed attributes are NOT in DER
# order; the signature (openssl dgst, below) covers them in that order.
import hashlib, sys, subprocess
def tlv(tag, body):
    n = len(body)
    if n < 0x80: l = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, 'big'); l = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + l + body
def oid(hexs): return tlv(0x06, bytes.fromhex(hexs))
ID_DATA = oid('2a864886f70d010701'); ID_SIGNED = oid('2a864886f70d010702')
SHA256 = tlv(0x30, oid('608648016503040201')); RSA_ENC = tlv(0x30, oid('2a864886f70d010101') + b'\x05\x00')
content = open(sys.argv[1], 'rb').read()
attr = lambda t, v: tlv(0x30, oid(t) + tlv(0x31, v))
md = attr('2a864886f70d010904', tlv(0x04, hashlib.sha256(content).digest()))
ct = attr('2a864886f70d010903', ID_DATA)
st = attr('2a864886f70d010905', tlv(0x17, b'261201120000Z'))
attrs = md + ct + st                      # DER order would be ct, st, md
assert sorted([md, ct, st]) != [md, ct, st]
open('tbs.bin', 'wb').write(tlv(0x31, attrs))
subprocess.run(['openssl', 'dgst', '-sha256', '-sign', sys.argv[2], '-out', 'sig.bin', 'tbs.bin'], check=True)
sig = open('sig.bin', 'rb').read()
cert = open(sys.argv[3], 'rb').read()      # DER
# issuerAndSerialNumber from the certificate (tbs: [0] version, serial, sigalg, issuer)
def parse(b, i):
    tag = b[i]; l = b[i+1]; h = 2
    if l & 0x80: n = l & 0x7f; l = int.from_bytes(b[i+2:i+2+n], 'big'); h += n
    return tag, i + h, i + h + l
_, c0, _ = parse(cert, 0); _, t0, _ = parse(cert, c0)
_, _, e = parse(cert, t0)                  # [0] version
s0 = e; _, _, e = parse(cert, s0); serial = cert[s0:e]
_, _, e2 = parse(cert, e)                  # signature alg
i0 = e2; _, _, e3 = parse(cert, i0); issuer = cert[i0:e3]
si = tlv(0x30, tlv(0x02, b'\x01') + tlv(0x30, issuer + serial) + SHA256 + tlv(0xa0, attrs) + RSA_ENC + tlv(0x04, sig))
sd = tlv(0x30, tlv(0x02, b'\x01') + tlv(0x31, SHA256) + tlv(0x30, ID_DATA + tlv(0xa0, tlv(0x04, content))) + tlv(0x31, si))
sys.stdout.buffer.write(tlv(0x30, ID_SIGNED + tlv(0xa0, sd)))
