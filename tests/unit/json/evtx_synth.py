"""Builds small synthetic EVTX files (file header, 64 KiB chunks, records of
Binary XML) from a tree description, for tests of the native BinXML decoder
(src/decode/binxml.c) and as fuzz seeds. Written from the public format
notes (libyal's "Windows XML Event Log (EVTX)", MS-EVEN6); checksums are
CRC-32 as the format requires, so libevtx reads these files too and the two
decoders can be compared on every construct.

Tree description (Python tuples):
  element   ('el', name, [attribute...], [content...])          dependency id present
            ('el0', name, [attribute...], [content...])         no dependency id (as some writers do)
  attribute (name, [piece...])
  piece     ('s', text) value text | ('sub', index, type) normal substitution |
            ('opt', index, type) optional substitution | ('cref', n) | ('eref', name)
  content   element | piece | ('cdata', text) | ('pi', target, data) |
            ('tmpl', key, element, [value...]) template instance (definition
            inline the first time a key is used in a chunk, by offset after)
  value     (type, bytes) substitution value; type | 0x80 for arrays
"""
import struct
import zlib

EVTX_CHUNK = 65536


def u16(s):
    return s.encode("utf-16-le")


class Chunk:
    def __init__(self, first_id=1):
        self.b = bytearray(512)
        self.names = {}   # name -> offset of its first (inline) copy
        self.tmpls = {}   # key -> offset of the definition
        self.first_id = first_id
        self.nrec = 0
        self.last_rec = 512
        self.ftime = 0x01D6CFB8FDB462CB  # 2020-12-11

    def pos(self):
        return len(self.b)

    def name(self, s, share=True):
        """Writes a name offset, then the name itself when it is new."""
        if share and s in self.names:
            self.b += struct.pack("<I", self.names[s])
            return
        off = self.pos() + 4
        self.b += struct.pack("<I", off)
        if share:
            self.names[s] = off
        h = 0
        for ch in s:
            h = (h * 65599 + ord(ch)) & 0xFFFFFFFF
        self.b += struct.pack("<IHH", 0, h & 0xFFFF, len(s)) + u16(s) + b"\0\0"

    def piece(self, p, more):
        k = p[0]
        if k == "s":
            t = u16(p[1])
            self.b += bytes([0x45 if more else 0x05, 0x01]) + struct.pack("<H", len(t) // 2) + t
        elif k in ("sub", "opt"):
            self.b += bytes([0x0D if k == "sub" else 0x0E]) + struct.pack("<HB", p[1], p[2])
        elif k == "cref":
            self.b += bytes([0x48 if more else 0x08]) + struct.pack("<H", p[1])
        elif k == "eref":
            self.b += bytes([0x49 if more else 0x09])
            self.name(p[1])
        elif k == "cdata":
            t = u16(p[1])
            self.b += bytes([0x47 if more else 0x07]) + struct.pack("<H", len(t) // 2) + t
        elif k == "pi":
            self.b += b"\x0a"
            self.name(p[1])
            t = u16(p[2])
            self.b += b"\x0b" + struct.pack("<H", len(t) // 2) + t
        elif k == "tmpl":
            self.template(p[1], p[2], p[3])
        elif k in ("el", "el0"):
            self.element(p)
        elif k == "raw":
            self.b += p[1]
        else:
            raise ValueError(k)

    def element(self, e):
        kind, nm, attrs, content = e
        start = self.pos()
        self.b += bytes([0x41 if attrs else 0x01])
        if kind == "el":
            self.b += b"\xff\xff"
        size_at = self.pos()
        self.b += b"\0\0\0\0"
        self.name(nm)
        if attrs:
            al_at = self.pos()
            self.b += b"\0\0\0\0"
            for i, (an, pieces) in enumerate(attrs):
                self.b += bytes([0x46 if i + 1 < len(attrs) else 0x06])
                self.name(an)
                for j, p in enumerate(pieces):
                    self.piece(p, j + 1 < len(pieces))
            struct.pack_into("<I", self.b, al_at, self.pos() - al_at - 4)
        if content:
            self.b += b"\x02"
            for j, p in enumerate(content):
                self.piece(p, j + 1 < len(content))
            self.b += b"\x04"
        else:
            self.b += b"\x03"
        struct.pack_into("<I", self.b, size_at, self.pos() - size_at - 4)
        return start

    def template(self, key, el, values):
        self.b += b"\x0c\x01"
        if key in self.tmpls:
            self.b += struct.pack("<II", key_id(key), self.tmpls[key])
        else:
            off = self.pos() + 8
            self.b += struct.pack("<II", key_id(key), off)
            self.tmpls[key] = off
            guid = struct.pack("<I", key_id(key)) + bytes(range(12))
            self.b += struct.pack("<I", 0) + guid
            size_at = self.pos()
            self.b += b"\0\0\0\0"
            self.b += b"\x0f\x01\x01\x00"
            self.element(el)
            self.b += b"\x00"
            struct.pack_into("<I", self.b, size_at, self.pos() - size_at - 4)
        self.b += struct.pack("<I", len(values))
        desc = self.pos()
        for t, v in values:
            self.b += struct.pack("<HBB", len(v) if isinstance(v, (bytes, bytearray)) else 0, t, 0)
        for i, (t, v) in enumerate(values):
            if isinstance(v, (bytes, bytearray)):
                self.b += v
                continue
            # ('bx', piece): an embedded BinXml fragment written in place
            start = self.pos()
            self.b += b"\x0f\x01\x01\x00"
            self.piece(v[1], False)
            self.b += b"\x00"
            struct.pack_into("<H", self.b, desc + 4 * i, self.pos() - start)

    def record(self, root, ftime=None):
        """root: an element or ('tmpl', ...) piece; returns the record offset."""
        start = self.pos()
        rid = self.first_id + self.nrec
        self.b += struct.pack("<IIQQ", 0x2A2A, 0, rid, ftime if ftime is not None else self.ftime)
        self.b += b"\x0f\x01\x01\x00"
        self.piece(root, False)
        self.b += b"\x00"
        size = self.pos() - start + 4
        self.b += struct.pack("<I", size)
        struct.pack_into("<I", self.b, start + 4, size)
        if self.pos() > EVTX_CHUNK:
            raise ValueError("chunk full")
        self.nrec += 1
        self.last_rec = start
        return start

    def finish(self):
        free = self.pos()
        b = self.b + bytes(EVTX_CHUNK - len(self.b))
        last_id = self.first_id + self.nrec - 1
        struct.pack_into("<8sQQQQIII", b, 0, b"ElfChnk\0", self.first_id, last_id, self.first_id, last_id,
                         128, self.last_rec, free)
        struct.pack_into("<I", b, 52, zlib.crc32(bytes(b[512:free])))
        # common string table: the first names (offsets into the chunk)
        for i, off in enumerate(list(self.names.values())[:64]):
            struct.pack_into("<I", b, 128 + 4 * i, off)
        for i, off in enumerate(list(self.tmpls.values())[:32]):
            struct.pack_into("<I", b, 384 + 4 * i, off)
        struct.pack_into("<I", b, 124, zlib.crc32(bytes(b[0:120]) + bytes(b[128:512])))
        return bytes(b)


def key_id(key):
    return zlib.crc32(str(key).encode()) & 0xFFFFFFFF


def evtx_file(chunks):
    """chunks: list of Chunk (finished here)."""
    data = [c.finish() for c in chunks]
    h = bytearray(4096)
    next_id = chunks[-1].first_id + chunks[-1].nrec if chunks else 1
    struct.pack_into("<8sQQQIHHHH", h, 0, b"ElfFile\0", 0, len(chunks) - 1, next_id, 128, 2, 3, 4096, len(chunks))
    struct.pack_into("<I", h, 124, zlib.crc32(bytes(h[0:120])))
    return bytes(h) + b"".join(data)


# ---- value helpers ------------------------------------------------------

def vstr(s, nul=True):
    return (0x01, u16(s + ("\0" if nul else "")))


def vansi(b):
    return (0x02, b)


def vint(t, v):
    fmt = {0x03: "<b", 0x04: "<B", 0x05: "<h", 0x06: "<H", 0x07: "<i", 0x08: "<I", 0x09: "<q", 0x0A: "<Q",
           0x0B: "<f", 0x0C: "<d", 0x0D: "<I", 0x10: None, 0x11: "<Q", 0x14: "<I", 0x15: "<Q"}[t]
    return (t, struct.pack(fmt, v))


def varr(t, fmt, vals):
    return (t | 0x80, b"".join(struct.pack(fmt, v) for v in vals))


def vguid(s):
    import uuid
    return (0x0F, uuid.UUID(s).bytes_le)


def vsid(rev, auth, subs):
    return (0x13, struct.pack("<BB", rev, len(subs)) + auth.to_bytes(6, "big") + b"".join(struct.pack("<I", x) for x in subs))


def vsystime(y, mo, dow, d, h, mi, s, ms):
    return (0x12, struct.pack("<8H", y, mo, dow, d, h, mi, s, ms))


def fuzz_seeds():
    """Small inputs for fuzz/fuzz_binxml.c: chunk bodies from offset 512
    (records framed) and bare BinXml streams. Returns {name: bytes}."""
    seeds = {}

    def body(c):
        return bytes(c.b[512:])

    c = Chunk()
    c.record(("el", "Event", [("xmlns", [("s", "http://x")])],
              [("el", "System", [], [("el", "EventID", [("Qualifiers", [("s", "0")])], [("s", "4624")])]),
               ("el", "B", [("n", [("s", "a&b"), ("cref", 65), ("eref", "amp")])], [("cdata", "x<y")]),
               ("pi", "t", "d")]))
    seeds["plain_records"] = body(c)
    c = Chunk()
    vals = [vstr("hello"), vansi(b"ans\xe9i"), vint(3, -5), vint(6, 65000), vint(9, -5), vint(0xB, 1.5), vint(0xC, 3.25),
            vint(0xD, 1), (0x0E, b"\x01\xab"), vguid("12345678-9abc-def0-1234-56789abcdef0"), vint(0x11, 0x01D6CFB8FDB462CB),
            vsystime(2020, 12, 5, 11, 12, 28, 1, 177), vsid(1, 5, [21, 1, 2, 500]), vint(0x14, 0xABC), vint(0x15, 0xABC),
            (0x81, u16("one\0two\0")), varr(0x08, "<I", [1, 2]), (0, b""), (0x10, struct.pack("<I", 4))]
    tmpl = ("el", "Event", [], [("el", "EventData", [], [("el", "Data", [("Name", [("s", "v%d" % i)])], [("opt" if t == 0 else "sub", i, t)])
                                                          for i, (t, _) in enumerate(vals)])])
    c.record(("tmpl", "all", tmpl, vals))
    c.record(("tmpl", "all", None, vals))
    seeds["template_values"] = body(c)
    c = Chunk()
    inner = ("el", "EventData", [], [("el", "Data", [("Name", [("s", "k")])], [("sub", 0, 1)])])
    c.record(("tmpl", "outer", ("el", "Event", [], [("el", "System", [], [("el", "EventID", [], [("sub", 0, 6)])]), ("sub", 1, 0x21)]),
              [vint(6, 4624), (0x21, ("bx", ("tmpl", "inner", inner, [vstr("val")])))]))
    c.record(("tmpl", "outer", None, [vint(6, 4625), (0x21, ("bx", ("el0", "UD", [], [("el0", "X", [], [("s", "p")])])))]))
    seeds["nested_binxml"] = body(c)
    c = Chunk()
    c.record(("el0", "Event", [("xmlns", [("s", "x")])], [("el0", "Data", [("Name", [("s", "Threat Name")])], [("s", "HackTool")])]))
    seeds["no_dependency_id"] = body(c)
    c = Chunk()
    c.record(("tmpl", "opt", ("el", "Event", [], [("el", "A", [("at", [("opt", 0, 1)])], [("opt", 0, 1)]),
                                                   ("el", "B", [], [("sub", 1, 0x81)])]), [(0, b""), (0x81, b"")]))
    seeds["optional_empty"] = body(c)
    # bare streams (no record framing)
    for name, data in list(seeds.items()):
        rs = struct.unpack("<I", data[4:8])[0]
        seeds["stream_" + name] = data[24:rs - 4]
    return seeds


if __name__ == "__main__":
    import os
    import sys
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(fuzz_seeds().items()):
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
