#!/usr/bin/env python3
"""Writes the OFTP2 conformance vectors in this folder from the RFC 5024 §5.3 field tables.

Each vector is an annotated hex file: one field per line, `hex | pos FIELD description`.
Header lines (`# key: value`) say what a decoder must do with the bytes:

  expect: ok        the buffer is valid; re-encoding gives the same octets
  expect: lenient   valid only for a lenient decoder; `deviations` names what it tolerates,
                    `reencode` (hex) is the strict form when it differs from the input
  expect: error     invalid; `command`, `field`, `offset` and `esid` (the ESID reason a
                    session answers) describe the error

The layouts here are written independently of the Rust code, from the RFC's tables.
Run: python3 make_vectors.py (rewrites every *.hex file).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def x(n, s):
    b = s.encode("ascii")
    assert len(b) <= n, (n, s)
    return b + b" " * (n - len(b))


def d(n, v):
    s = str(v).rjust(n, "0")
    assert len(s) == n
    return s.encode()


def u2(v):
    return v.to_bytes(2, "big")


def fmt_row(data, pos, note):
    hx = " ".join(f"{c:02X}" for c in data)
    lines = []
    chunk = 16
    for i in range(0, max(len(data), 1), chunk):
        part = " ".join(f"{c:02X}" for c in data[i:i + chunk])
        if i == 0:
            lines.append(f"{part:<48}| {pos:>4} {note}")
        else:
            lines.append(f"{part:<48}|")
    if not data:
        lines = [f"{'':<48}| {pos:>4} {note} (empty)"]
    return lines


def show(b):
    s = b.decode("latin-1")
    if all(32 <= c < 127 for c in b):
        return f"'{s}'"
    return f"{len(b)} octets"


def write(name, title, rfc, rows, expect="ok", **meta):
    out = [f"# {title}", f"# rfc: RFC 5024 {rfc}", f"# expect: {expect}"]
    for k, v in meta.items():
        out.append(f"# {k}: {v}")
    pos = 0
    for field, data, *desc in rows:
        note = f"{field} {desc[0] if desc else show(data)}"
        out.extend(fmt_row(data, pos, note))
        pos += len(data)
    out.append(f"# total: {pos} octets")
    with open(os.path.join(HERE, name + ".hex"), "w") as f:
        f.write("\n".join(out) + "\n")


CR = b"\x0d"
ACME = "O0013000000ACME"
BRAVO = "O0013000000BRAVO"

# ---------------------------------------------------------------- SSRM §5.3.1
ssrm = [("SSRMCMD", b"I"), ("SSRMMSG", b"ODETTE FTP READY "), ("SSRMCR", CR, "0x0D")]
write("ssrm_valid", "SSRM: the Responder's ready message", "§5.3.1", ssrm)
write("ssrm_cr_8d", "SSRM with carriage return 0x8D (allowed by the RFC)", "§5.3.1",
      ssrm[:2] + [("SSRMCR", b"\x8d", "0x8D")], reencode="49 4F 44 45 54 54 45 20 46 54 50 20 52 45 41 44 59 20 0D")
write("ssrm_bad_message", "SSRM with a wrong ready message", "§5.3.1",
      [("SSRMCMD", b"I"), ("SSRMMSG", b"ODETTE FTP READX ")] + ssrm[2:], expect="error",
      command="SSRM", field="SSRMMSG", offset=1, esid="06")
write("ssrm_no_cr", "SSRM without its carriage return", "§5.3.1", ssrm[:2], expect="error",
      command="SSRM", field="SSRMCR", offset=18, esid="07")

# ---------------------------------------------------------------- SSID §5.3.2


def ssid(lev="5", code=ACME, pswd="SECRET", sdeb=4096, sr="B", cmpr="N", rest="N", spec="N",
         cred=64, auth="N", user="", cr=CR, rsv=b"    "):
    return [("SSIDCMD", b"X"), ("SSIDLEV", lev.encode()), ("SSIDCODE", x(25, code)),
            ("SSIDPSWD", x(8, pswd)), ("SSIDSDEB", sdeb if isinstance(sdeb, bytes) else d(5, sdeb)),
            ("SSIDSR", sr.encode()), ("SSIDCMPR", cmpr.encode()), ("SSIDREST", rest.encode()),
            ("SSIDSPEC", spec.encode()), ("SSIDCRED", d(3, cred)), ("SSIDAUTH", auth.encode()),
            ("SSIDRSV1", rsv), ("SSIDUSER", x(8, user)), ("SSIDCR", cr, "0x%02X" % cr[0])]


write("ssid_valid", "SSID: level 5, buffer 4096, both directions, credit 64", "§5.3.2", ssid())
write("ssid_valid_all_yes", "SSID: compression, restart and secure authentication", "§5.3.2",
      ssid(code=BRAVO, pswd="PW-2", sdeb=99999, sr="R", cmpr="Y", rest="Y", cred=999, auth="Y",
           user="USER1"))
write("ssid_sdeb_too_small", "SSID with SSIDSDEB 127 (minimum 128)", "§5.3.2", ssid(sdeb=127),
      expect="error", command="SSID", field="SSIDSDEB", offset=35, esid="06")
write("ssid_bad_mode", "SSID with SSIDSR 'X'", "§5.3.2", ssid(sr="X"), expect="error",
      command="SSID", field="SSIDSR", offset=40, esid="06")
write("ssid_short", "SSID cut after SSIDCRED (48 of 61 octets)", "§5.3.2", ssid()[:10] + [("SSIDAUTH", b"N")],
      expect="error", command="SSID", field="SSIDRSV1", offset=48, esid="07")
write("ssid_lower_case_code", "SSID with a lower-case SSIDCODE (a peer quirk)", "§5.3.2",
      ssid(code="O0013000000acme"), expect="lenient", deviations="lower-case letters")
write("ssid_sdeb_not_digit", "SSID with a letter in SSIDSDEB", "§5.3.2", ssid(sdeb=b"04O96"),
      expect="error", command="SSID", field="SSIDSDEB", offset=37, esid="06")

# ---------------------------------------------------------------- SFID §5.3.3


def sfid(dsn="INVOICE.2026", date="20261123", time="1405300001", user="", dest=BRAVO, orig=ACME,
         fmt="U", lrecl=0, fsiz=16, osiz=16, rest=0, sec="00", ciph="00", comp="0", env="0",
         sign="N", desc=b""):
    return [("SFIDCMD", b"H"), ("SFIDDSN", x(26, dsn)), ("SFIDRSV1", b"   "),
            ("SFIDDATE", date.encode()), ("SFIDTIME", time.encode()), ("SFIDUSER", x(8, user)),
            ("SFIDDEST", x(25, dest)), ("SFIDORIG", x(25, orig)), ("SFIDFMT", fmt.encode()),
            ("SFIDLRECL", d(5, lrecl)), ("SFIDFSIZ", d(13, fsiz)), ("SFIDOSIZ", d(13, osiz)),
            ("SFIDREST", d(17, rest)), ("SFIDSEC", sec.encode()), ("SFIDCIPH", ciph.encode()),
            ("SFIDCOMP", comp.encode()), ("SFIDENV", env.encode()), ("SFIDSIGN", sign.encode()),
            ("SFIDDESCL", d(3, len(desc))), ("SFIDDESC", desc, "UTF-8 text")]


write("sfid_valid_u", "SFID: an unstructured file, no security", "§5.3.3", sfid())
write("sfid_valid_secured", "SFID: F format restart at record 1200, signed and encrypted with suite 04, zlib, CMS, signed EERP, UTF-8 description",
      "§5.3.3", sfid(fmt="F", lrecl=512, fsiz=9999999999999, osiz=1, rest=1200, sec="03", ciph="04",
                     comp="1", env="1", sign="Y", user="BATCH7", desc="Lieferschein für Köln".encode()))
write("sfid_bad_date", "SFID with SFIDDATE 2026-02-30", "§5.3.3", sfid(date="20260230"),
      expect="error", command="SFID", field="SFIDDATE", offset=30, esid="06")
write("sfid_bad_format", "SFID with SFIDFMT 'Z'", "§5.3.3", sfid(fmt="Z"), expect="error",
      command="SFID", field="SFIDFMT", offset=106, esid="06")
write("sfid_desc_length_mismatch", "SFID whose SFIDDESCL announces 10 octets but 4 follow", "§5.3.3",
      sfid()[:-2] + [("SFIDDESCL", b"010"), ("SFIDDESC", b"ABCD", "4 octets")], expect="error",
      command="SFID", field="SFIDDESC", offset=165, esid="07")
write("sfid_counter_zero", "SFID with time counter 0000 (sent by some products)", "§5.3.3",
      sfid(time="1405300000"), expect="lenient", deviations="time counter 0000")
write("sfid_bad_security", "SFID with SFIDSEC 04", "§5.3.3", sfid(sec="04"), expect="error",
      command="SFID", field="SFIDSEC", offset=155, esid="06")

# ---------------------------------------------------------------- SFPA §5.3.4
write("sfpa_valid", "SFPA: restart at 1200", "§5.3.4", [("SFPACMD", b"2"), ("SFPAACNT", d(17, 1200))])
write("sfpa_short", "SFPA with 16 digits", "§5.3.4", [("SFPACMD", b"2"), ("SFPAACNT", d(16, 0))],
      expect="error", command="SFPA", field="SFPAACNT", offset=1, esid="07")
write("sfpa_not_digit", "SFPA with a space in the count", "§5.3.4",
      [("SFPACMD", b"2"), ("SFPAACNT", b" " + d(16, 5))], expect="error", command="SFPA",
      field="SFPAACNT", offset=1, esid="06")

# ---------------------------------------------------------------- SFNA §5.3.5
write("sfna_valid", "SFNA: duplicate file, retry N, with text", "§5.3.5",
      [("SFNACMD", b"3"), ("SFNAREAS", b"13"), ("SFNARRTR", b"N"), ("SFNAREASL", b"014"),
       ("SFNAREAST", b"already stored")])
write("sfna_valid_no_text", "SFNA: cipher suite not supported, retry Y, no text", "§5.3.5",
      [("SFNACMD", b"3"), ("SFNAREAS", b"15"), ("SFNARRTR", b"Y"), ("SFNAREASL", b"000")])
write("sfna_bad_retry", "SFNA with retry indicator 'X'", "§5.3.5",
      [("SFNACMD", b"3"), ("SFNAREAS", b"13"), ("SFNARRTR", b"X"), ("SFNAREASL", b"000")],
      expect="error", command="SFNA", field="SFNARRTR", offset=3, esid="06")
write("sfna_trailing", "SFNA followed by an extra octet", "§5.3.5",
      [("SFNACMD", b"3"), ("SFNAREAS", b"13"), ("SFNARRTR", b"N"), ("SFNAREASL", b"000"),
       ("(extra)", b"!")], expect="error", command="SFNA", field="(end of command)", offset=7, esid="07")

# ---------------------------------------------------------------- DATA §5.3.6
write("data_valid", "DATA: one 11-octet subrecord with end of record", "§5.3.6, §7",
      [("DATACMD", b"D"), ("DATABUF", b"\x8bHELLO WORLD", "header 0x8B (EoR, 11 octets) + 'HELLO WORLD'")])
write("data_compressed", "DATA: the compression example (9 plain, 15 x '5' compressed, EoR '6')", "§5.3.6, §7.4",
      [("DATACMD", b"D"), ("DATABUF", bytes.fromhex("09313233343531323334 4F35 8136"), "subrecords")])
write("data_lower_case_cmd", "a lower-case 'd' is no command", "§5.2",
      [("(command)", b"d"), ("(rest)", b"\x01A")], expect="error", command="-",
      field="command identifier", offset=0, esid="01")
write("data_empty_buffer", "an empty exchange buffer", "§5.2", [], expect="error", command="-",
      field="command identifier", offset=0, esid="01")

# ---------------------------------------------------------------- CDT §5.3.7
write("cdt_valid", "CDT: set credit", "§5.3.7", [("CDTCMD", b"C"), ("CDTRSV1", b"  ")])
write("cdt_short", "CDT without its reserved field", "§5.3.7", [("CDTCMD", b"C")], expect="error",
      command="CDT", field="CDTRSV1", offset=1, esid="07")
write("cdt_trailing", "CDT with an extra octet", "§5.3.7", [("CDTCMD", b"C"), ("CDTRSV1", b"  "), ("(extra)", b" ")],
      expect="error", command="CDT", field="(end of command)", offset=3, esid="07")

# ---------------------------------------------------------------- EFID §5.3.8
write("efid_valid", "EFID: 1200 records, 614400 octets", "§5.3.8",
      [("EFIDCMD", b"T"), ("EFIDRCNT", d(17, 1200)), ("EFIDUCNT", d(17, 614400))])
write("efid_short", "EFID without the unit count", "§5.3.8", [("EFIDCMD", b"T"), ("EFIDRCNT", d(17, 0))],
      expect="error", command="EFID", field="EFIDUCNT", offset=18, esid="07")
write("efid_not_digit", "EFID with a letter in EFIDUCNT", "§5.3.8",
      [("EFIDCMD", b"T"), ("EFIDRCNT", d(17, 0)), ("EFIDUCNT", d(16, 1) + b"K")], expect="error",
      command="EFID", field="EFIDUCNT", offset=34, esid="06")

# ---------------------------------------------------------------- EFPA §5.3.9
write("efpa_valid", "EFPA: change direction requested", "§5.3.9", [("EFPACMD", b"4"), ("EFPACD", b"Y")])
write("efpa_valid_n", "EFPA: no change of direction", "§5.3.9", [("EFPACMD", b"4"), ("EFPACD", b"N")])
write("efpa_bad_flag", "EFPA with EFPACD '1'", "§5.3.9", [("EFPACMD", b"4"), ("EFPACD", b"1")],
      expect="error", command="EFPA", field="EFPACD", offset=1, esid="06")
write("efpa_short", "EFPA without EFPACD", "§5.3.9", [("EFPACMD", b"4")], expect="error",
      command="EFPA", field="EFPACD", offset=1, esid="07")

# ---------------------------------------------------------------- EFNA §5.3.10
write("efna_valid", "EFNA: invalid file signature, with text", "§5.3.10",
      [("EFNACMD", b"5"), ("EFNAREAS", b"21"), ("EFNAREASL", b"017"), ("EFNAREAST", b"digest mismatch\xc2\xa7", "UTF-8 text")])
write("efna_bad_reason", "EFNA with reason 'A1'", "§5.3.10",
      [("EFNACMD", b"5"), ("EFNAREAS", b"A1"), ("EFNAREASL", b"000")], expect="error", command="EFNA",
      field="EFNAREAS", offset=1, esid="06")
write("efna_text_short", "EFNA announcing 5 octets of text but carrying 2", "§5.3.10",
      [("EFNACMD", b"5"), ("EFNAREAS", b"99"), ("EFNAREASL", b"005"), ("EFNAREAST", b"ab")],
      expect="error", command="EFNA", field="EFNAREAST", offset=6, esid="07")
write("efna_not_utf8", "EFNA with Latin-1 text (not UTF-8)", "§5.3.10",
      [("EFNACMD", b"5"), ("EFNAREAS", b"99"), ("EFNAREASL", b"003"), ("EFNAREAST", b"f\xfcr", "Latin-1 'f\\xfcr'")],
      expect="lenient", deviations="text that is not UTF-8")

# ---------------------------------------------------------------- ESID §5.3.11
write("esid_normal", "ESID: normal end", "§5.3.11",
      [("ESIDCMD", b"F"), ("ESIDREAS", b"00"), ("ESIDREASL", b"000"), ("ESIDCR", CR, "0x0D at 6+n")])
write("esid_with_text", "ESID 11 with text; CR at offset 6+n", "§5.3.11",
      [("ESIDCMD", b"F"), ("ESIDREAS", b"11"), ("ESIDREASL", b"026"),
       ("ESIDREAST", b"invalid challenge response"), ("ESIDCR", CR, "0x0D at 6+n")])
write("esid_no_cr", "ESID without its final CR (some peers)", "§5.3.11",
      [("ESIDCMD", b"F"), ("ESIDREAS", b"03"), ("ESIDREASL", b"000")], expect="lenient",
      deviations="missing carriage return", reencode="46 30 33 30 30 30 0D")
write("esid_lf", "ESID ending in a line feed", "§5.3.11",
      [("ESIDCMD", b"F"), ("ESIDREAS", b"00"), ("ESIDREASL", b"000"), ("ESIDCR", b"\x0a", "0x0A")],
      expect="lenient", deviations="line feed as carriage return", reencode="46 30 30 30 30 30 0D")
write("esid_v1_layout", "the 4-octet OFTP 1.x ESID (RFC 2204), decoded by its length", "§5.3.11; RFC 2204",
      [("ESIDCMD", b"F"), ("ESIDREAS", b"03"), ("ESIDCR", CR, "0x0D")], expect="lenient",
      deviations="OFTP 1.x ESID layout", reencode="46 30 33 30 30 30 0D")
write("esid_bad_cr", "ESID whose final octet is not a CR", "§5.3.11",
      [("ESIDCMD", b"F"), ("ESIDREAS", b"00"), ("ESIDREASL", b"000"), ("ESIDCR", b"X")],
      expect="error", command="ESID", field="ESIDCR", offset=6, esid="06")
write("esid_bad_reason", "ESID with a letter in the reason", "§5.3.11",
      [("ESIDCMD", b"F"), ("ESIDREAS", b"0X"), ("ESIDREASL", b"000"), ("ESIDCR", CR, "0x0D")],
      expect="error", command="ESID", field="ESIDREAS", offset=2, esid="06")

# ---------------------------------------------------------------- CD §5.3.12
write("cd_valid", "CD: change direction", "§5.3.12", [("CDCMD", b"R")])
write("cd_trailing", "CD followed by a CR", "§5.3.12", [("CDCMD", b"R"), ("(extra)", CR, "0x0D")],
      expect="error", command="CD", field="(end of command)", offset=1, esid="07")
write("cd_trailing_spaces", "CD padded with spaces", "§5.3.12", [("CDCMD", b"R"), ("(extra)", b"  ")],
      expect="error", command="CD", field="(end of command)", offset=1, esid="07")

# ---------------------------------------------------------------- EERP §5.3.13
HASH = bytes(range(0x10, 0x24))  # 20 octets, a SHA-1-sized hash
SIG = bytes.fromhex("3082000a06092a864886f70d010702")  # a stand-in CMS prefix (opaque to the codec)


def eerp(date="20261123", time="1405300001", hsh=b"", sig=b""):
    return [("EERPCMD", b"E"), ("EERPDSN", x(26, "INVOICE.2026")), ("EERPRSV1", b"   "),
            ("EERPDATE", date.encode()), ("EERPTIME", time.encode()), ("EERPUSER", x(8, "")),
            ("EERPDEST", x(25, ACME), "file's originator"), ("EERPORIG", x(25, BRAVO), "final recipient"),
            ("EERPHSHL", u2(len(hsh)), str(len(hsh))), ("EERPHSH", hsh, "hash"),
            ("EERPSIGL", u2(len(sig)), str(len(sig))), ("EERPSIG", sig, "CMS SignedData")]


write("eerp_unsigned", "EERP without hash and signature", "§5.3.13", eerp())
write("eerp_signed", "EERP with a 20-octet hash and a signature", "§5.3.13", eerp(hsh=HASH, sig=SIG))
write("eerp_bad_time", "EERP with hour 25", "§5.3.13", eerp(time="2505300001"), expect="error",
      command="EERP", field="EERPTIME", offset=38, esid="06")
write("eerp_sig_short", "EERP whose EERPSIGL exceeds the buffer", "§5.3.13",
      eerp(hsh=HASH)[:-2] + [("EERPSIGL", u2(300), "300"), ("EERPSIG", SIG, "15 octets")],
      expect="error", command="EERP", field="EERPSIG", offset=130, esid="07")

# ---------------------------------------------------------------- NERP §5.3.14


def nerp(reas=b"31", text=b"", hsh=b"", sig=b""):
    return [("NERPCMD", b"N"), ("NERPDSN", x(26, "INVOICE.2026")), ("NERPRSV1", b"      "),
            ("NERPDATE", b"20261123"), ("NERPTIME", b"1405300001"),
            ("NERPDEST", x(25, ACME), "file's originator"), ("NERPORIG", x(25, BRAVO), "final recipient"),
            ("NERPCREA", x(25, "O0013000000CLEARING"), "creator"), ("NERPREAS", reas),
            ("NERPREASL", d(3, len(text))), ("NERPREAST", text, "UTF-8 text"),
            ("NERPHSHL", u2(len(hsh)), str(len(hsh))), ("NERPHSH", hsh, "hash"),
            ("NERPSIGL", u2(len(sig)), str(len(sig))), ("NERPSIG", sig, "CMS SignedData")]


write("nerp_valid", "NERP: signature not valid, with text, unsigned", "§5.3.14", nerp(text=b"bad signature"))
write("nerp_signed", "NERP with hash and signature", "§5.3.14", nerp(reas=b"35", hsh=HASH, sig=SIG))
write("nerp_bad_reason", "NERP with reason ' 1'", "§5.3.14", nerp(reas=b" 1"), expect="error",
      command="NERP", field="NERPREAS", offset=126, esid="06")
write("nerp_short", "NERP cut inside NERPCREA", "§5.3.14", nerp()[:7] + [("NERPCREA", b"O0013", "5 octets")],
      expect="error", command="NERP", field="NERPCREA", offset=101, esid="07")

# ---------------------------------------------------------------- RTR §5.3.15
write("rtr_valid", "RTR: ready to receive", "§5.3.15", [("RTRCMD", b"P")])
write("rtr_trailing", "RTR with an extra octet", "§5.3.15", [("RTRCMD", b"P"), ("(extra)", b"P")],
      expect="error", command="RTR", field="(end of command)", offset=1, esid="07")
write("rtr_unknown_cmd", "'Q' is no command", "§5.2", [("(command)", b"Q")], expect="error", command="-",
      field="command identifier", offset=0, esid="01")

# ---------------------------------------------------------------- SECD §5.3.16
write("secd_valid", "SECD: security change direction", "§5.3.16", [("SECDCMD", b"J")])
write("secd_trailing", "SECD with a CR", "§5.3.16", [("SECDCMD", b"J"), ("(extra)", CR, "0x0D")],
      expect="error", command="SECD", field="(end of command)", offset=1, esid="07")
write("secd_unknown_cmd", "0x00 is no command", "§5.2", [("(command)", b"\x00")], expect="error",
      command="-", field="command identifier", offset=0, esid="01")

# ---------------------------------------------------------------- AUCH §5.3.17
CHAL = bytes.fromhex("3082019e06092a864886f70d010703a082018f") + bytes(range(40))
write("auch_valid", "AUCH with a 59-octet challenge (CMS-shaped, opaque to the codec)", "§5.3.17",
      [("AUCHCMD", b"A"), ("AUCHCHLL", u2(len(CHAL)), str(len(CHAL))), ("AUCHCHAL", CHAL, "challenge")])
write("auch_short", "AUCH announcing more octets than it carries", "§5.3.17",
      [("AUCHCMD", b"A"), ("AUCHCHLL", u2(400), "400"), ("AUCHCHAL", CHAL, "59 octets")],
      expect="error", command="AUCH", field="AUCHCHAL", offset=3, esid="07")
write("auch_no_length", "AUCH with one octet of length", "§5.3.17",
      [("AUCHCMD", b"A"), ("AUCHCHLL", b"\x01", "1 octet")], expect="error", command="AUCH",
      field="AUCHCHLL", offset=1, esid="07")

# ---------------------------------------------------------------- AURP §5.3.18
RSP = bytes(range(0xA0, 0xB4))
write("aurp_valid", "AURP: the 20 decrypted octets", "§5.3.18", [("AURPCMD", b"S"), ("AURPRSP", RSP, "20 octets")])
write("aurp_19", "AURP with 19 octets", "§5.3.18", [("AURPCMD", b"S"), ("AURPRSP", RSP[:19], "19 octets")],
      expect="error", command="AURP", field="AURPRSP", offset=1, esid="07")
write("aurp_21", "AURP with 21 octets", "§5.3.18", [("AURPCMD", b"S"), ("AURPRSP", RSP + b"\x00", "21 octets")],
      expect="error", command="AURP", field="(end of command)", offset=21, esid="07")
