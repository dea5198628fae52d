#!/usr/bin/env python3
"""Writes the hand-made seed inputs `fuzz/corpus/<target>/seed-*` of the fuzz targets.

The inputs follow the layouts documented on each target body in
`crates/oftp2-codec/src/fuzzing.rs`; the command buffers come from the conformance vectors
(`crates/oftp2-codec/tests/vectors/*.hex`) and the Appendix A buffer from the rows in
`crates/oftp2-codec/src/buffer.rs`. Run from anywhere: `python3 fuzz/make_seeds.py`.
Existing `seed-*` files are replaced; other corpus files (found by fuzzing) are kept.
"""

import pathlib
import re
import struct

FUZZ = pathlib.Path(__file__).resolve().parent
CODEC = FUZZ.parent / "crates" / "oftp2-codec"
VECTORS = CODEC / "tests" / "vectors"

# CommandCode::ALL order (crates/oftp2-codec/src/command/mod.rs).
LETTERS = b"IXH23DCT45FREN" + b"PJAS"
assert len(LETTERS) == 18


def vector(name):
    """The octets of one conformance vector (the hex before each '|')."""
    out = bytearray()
    for line in (VECTORS / f"{name}.hex").read_text().splitlines():
        if line.startswith("#"):
            continue
        out += bytes.fromhex(line.split("|")[0])
    return bytes(out)


def stb(buf):
    """One Stream Transmission Buffer: 0x10, 24-bit length of STH + buffer, buffer."""
    n = len(buf) + 4
    return bytes([0x10, n >> 16 & 0xFF, n >> 8 & 0xFF, n & 0xFF]) + buf


def appendix_a():
    """RFC 5024 Appendix A, exchange buffer 1, from the nibble rows in buffer.rs."""
    src = (CODEC / "src" / "buffer.rs").read_text()
    block = src[src.index("APPENDIX_A_ROWS"):]
    block = block[: block.index("];")]
    rows = re.findall(r'\(\s*"([0-9A-F]*)",\s*"([0-9A-F]*)",?\s*\)', block)
    out = bytearray()
    for hi, lo in rows:
        out += bytes(int(h, 16) << 4 | int(l, 16) for h, l in zip(hi, lo))
    return bytes(out)


def write(target, name, data):
    d = FUZZ / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)


def clear(target):
    d = FUZZ / "corpus" / target
    for f in d.glob("seed-*"):
        f.unlink()


# --- command_roundtrip ------------------------------------------------------------------
# Build mode (bit 7 clear): selector, then the fields as fuzzing.rs `Input` reads them.


def s8(text):
    """A string of at most 255 octets: one length octet."""
    b = text.encode() if isinstance(text, str) else text
    return bytes([len(b)]) + b


def s16(text):
    """A string or binary value with a two-octet length (maximum above 255)."""
    b = text.encode() if isinstance(text, str) else text
    return struct.pack(">H", len(b)) + b


def date(y, m, d):
    return struct.pack(">HBB", y, m, d)


def time(h, m, s, c):
    return struct.pack(">BBBH", h, m, s, c)


def dec(v, raw=False):
    return struct.pack(">Q", v) + bytes([1 if raw else 0])


def sel(letter):
    return bytes([LETTERS.index(letter)])


ACME = s8("O0013000000ACME")
BRAVO = s8("O0013000000BRAVO")
NAME = s8("INVOICE.2026")
BLANK = s8("")
SFID_FIELDS = (
    NAME + date(2026, 11, 23) + time(14, 5, 30, 1) + BLANK + BRAVO + ACME
    + b"\x02" + dec(0) + dec(256) + dec(256) + dec(0) + b"\x02"
    + b"\x04" + b"\x00" + b"\x01" + b"\x01" + s16("monthly invoices")
)
BUILD = {
    "ssrm": sel(b"I"),
    "ssid": sel(b"X") + b"\x05" + ACME + s8("SECRET") + struct.pack(">I", 99999)
    + b"\x02" + b"\x0b" + struct.pack(">H", 999) + BLANK,
    "sfid": sel(b"H") + SFID_FIELDS,
    "sfid_leap_day": sel(b"H") + NAME + date(2024, 2, 29) + time(23, 59, 59, 9999)
    + SFID_FIELDS[len(NAME) + 4 + 5:],
    "sfpa": sel(b"2") + dec(12345),
    "sfna": sel(b"3") + b"\x0b" + b"\x01" + s16("already stored"),
    "data": sel(b"D") + bytes([0x09]) + b"123451234" + bytes([0x4F, 0x35, 0x81, 0x36]),
    "cdt": sel(b"C"),
    "efid": sel(b"T") + dec(0) + dec(268435456),
    "efpa": sel(b"4") + b"\x01",
    "efna": sel(b"5") + b"\x16" + s16("Ünïcödé text"),
    "esid": sel(b"F") + b"\x0b" + s16(""),
    "cd": sel(b"R"),
    "eerp": sel(b"E") + NAME + date(2026, 11, 23) + time(14, 5, 30, 1) + BLANK + ACME
    + BRAVO + s16(bytes(range(32))) + s16(b"\x30" * 300),
    "nerp": sel(b"N") + NAME + date(2026, 11, 23) + time(14, 5, 30, 1) + ACME + BRAVO
    + BRAVO + b"\x04" + s16("signature does not verify") + s16(b"\xab" * 32) + s16(b""),
    "rtr": sel(b"P"),
    "secd": sel(b"J"),
    "auch": sel(b"A") + s16(b"\x30\x82" + bytes(range(200))),
    "aurp": sel(b"S") + bytes(range(20)),
}

# Decode mode (bit 7 set): selector, then the buffer after its command octet.
# (the full set of vectors is in corpus/command_decode; these cover each lenient path).
DECODE = [
    "ssrm_cr_8d", "ssid_valid", "ssid_lower_case_code", "sfid_valid_secured",
    "sfid_counter_zero", "sfna_valid", "efna_not_utf8", "esid_with_text", "esid_v1_layout",
    "esid_lf", "eerp_signed", "nerp_signed",
]

clear("command_roundtrip")
for name, data in BUILD.items():
    write("command_roundtrip", f"build-{name}", data)
for name in DECODE:
    v = vector(name)
    write("command_roundtrip", f"decode-{name}", bytes([0x80 | LETTERS.index(v[0])]) + v[1:])

# --- stb_deframer -----------------------------------------------------------------------
# Octet 0: bits 0-3 cut count, bit 7 default limit; octets 1-3: limit; 2 octets per cut.

SSRM = vector("ssrm_valid")
SSID = vector("ssid_valid")


def deframer(cuts, stream, limit=None):
    head = (0x00 if limit is not None else 0x80) | len(cuts)
    limit = limit or 0
    out = bytes([head, limit >> 16 & 0xFF, limit >> 8 & 0xFF, limit & 0xFF])
    return out + b"".join(struct.pack(">H", c) for c in cuts) + stream


session = stb(SSRM) + stb(SSID) + stb(b"C  ") + stb(b"R")
clear("stb_deframer")
write("stb_deframer", "ssrm", deframer([], stb(SSRM)))
write("stb_deframer", "session_split", deframer([1, 3, 23, 30, 84, 90], session))
write("stb_deframer", "minimal_frame", deframer([2], stb(b"R") + stb(b"P")))
write("stb_deframer", "partial", deframer([5], stb(SSID)[:40]))
write("stb_deframer", "tls_client_hello", deframer([], bytes.fromhex("160301020001")))
write("stb_deframer", "bare_ssrm", deframer([], stb(b"R") + SSRM))
write("stb_deframer", "bad_flags", deframer([], bytes([0x11, 0, 0, 5, 0x52])))
write("stb_deframer", "length_4", deframer([], bytes([0x10, 0, 0, 4])))
write("stb_deframer", "length_max_plus_1", deframer([], bytes([0x10, 0x01, 0x86, 0xA4])))
write("stb_deframer", "length_max_header", deframer([2], bytes([0x10, 0x01, 0x86, 0xA3, 0x44])))
write("stb_deframer", "above_limit_128", deframer([], stb(b"D" + b"\x3f" * 140), limit=128))
write("stb_deframer", "limit_0", deframer([], stb(b"R"), limit=0))
write("stb_deframer", "data_4k", deframer([4, 1000, 4100], stb(b"D" + bytes(range(256)) * 16)))

# --- subrecords -------------------------------------------------------------------------
# Octets 0-1: F record length / V maximum; octet 2: split point and writer size (128 + it).


def subrec(lrecl, split, payload):
    return struct.pack(">HB", lrecl, split) + payload


KAT = vector("data_compressed")[1:]
clear("subrecords")
write("subrecords", "kat_compressed", subrec(25, 200, KAT))
write("subrecords", "kat_split", subrec(25, 6, KAT))
write("subrecords", "hello_world", subrec(11, 0, vector("data_valid")[1:]))
write("subrecords", "appendix_a", subrec(0, 255, appendix_a()[1:]))
write("subrecords", "fixed_records", subrec(3, 4, b"\x83abc\x02de\x81f\x83ghi"))
write("subrecords", "zero_length_records", subrec(0, 2, b"\x80\x80\x00\x80\x00\x00"))
write("subrecords", "long_runs", subrec(200, 2, b"\x7f\x41\x7f\x41\x3f" + b"x" * 63 + b"\xca\x42"))
write("subrecords", "overrun", subrec(9, 1, b"\x01a\x05ab"))
write("subrecords", "compressed_octet_missing", subrec(9, 9, b"\x01a\x45"))
write("subrecords", "record_too_long", subrec(4, 200, b"\x03abc\x02de"))
write("subrecords", "fixed_mismatch", subrec(3, 200, b"\x82ab"))
write("subrecords", "not_data", subrec(5, 0, b"C  "))
write("subrecords", "raw_data", subrec(70, 0, b"D\x85hello"))

# --- vformat ----------------------------------------------------------------------------
# Octet 0: bits 0-3 cut count, bit 7 default limit; octets 1-2: limit; 2 octets per cut.


def vf(cuts, stream, limit=None):
    head = (0x00 if limit is not None else 0x80) | len(cuts)
    out = bytes([head]) + struct.pack(">H", limit or 0)
    return out + b"".join(struct.pack(">H", c) for c in cuts) + stream


clear("vformat")
write("vformat", "known_answer", vf([], b"\x00\x03abc\x00\x00"))
write("vformat", "split", vf([1, 3, 5], b"\x00\x03abc\x00\x00\x00\x01z"))
write("vformat", "limit_4", vf([], b"\x00\x04abcd\x00\x05abcde", limit=4))
write("vformat", "limit_0", vf([], b"\x00\x00\x00\x00\x00\x01a", limit=0))
write("vformat", "truncated_header", vf([], b"\x00"))
write("vformat", "truncated_record", vf([2], b"\x00\x03ab"))
write("vformat", "max_header", vf([], b"\xff\xff" + b"x" * 100))
write("vformat", "records_300", vf([7, 100, 301], b"".join(struct.pack(">H", 20) + bytes(range(20)) for _ in range(15))))
