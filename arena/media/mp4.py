# Long because the parser covers every box type a client reads, in one self-contained reader.
"""Read the ISO BMFF (MP4) box tree: the layout and headers any client can parse from a clip.

Only what the blindness audit compares is decoded: the box tree, the brands, the movie, track
and media headers, handler names, edit lists, sample entries and their codec configuration
(avcC, esds), and the sample tables (sizes, sync samples, timing). Anything else is kept as
raw bytes. A file that is not ISO BMFF raises :class:`NotMP4`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

_CONTAINERS = {
    b"moov",
    b"trak",
    b"mdia",
    b"minf",
    b"stbl",
    b"edts",
    b"dinf",
    b"udta",
    b"mvex",
    b"moof",
    b"traf",
}
_VISUAL_ENTRIES = {"avc1", "avc3", "hvc1", "hev1", "vp09", "av01", "mp4v"}
"""Visual sample entries have 78 bytes of fields before their child boxes, audio ones 28
(ISO 14496-12, 12.1 and 12.2)."""


class NotMP4(ValueError):
    """The file does not start with an ISO BMFF box."""


@dataclass
class Box:
    type: str
    offset: int
    size: int
    payload: bytes = b""
    children: list[Box] = field(default_factory=list)

    def find(self, *path: str) -> Box | None:
        """The first descendant at ``path`` (box types, one level each)."""
        node: Box | None = self
        for part in path:
            assert node is not None
            node = next((c for c in node.children if c.type == part), None)
            if node is None:
                return None
        return node

    def tree(self) -> str:
        """Box types, nested in parentheses: the shape of the box, without sizes or values."""
        if not self.children:
            return self.type
        return f"{self.type}({' '.join(c.tree() for c in self.children)})"


@dataclass
class Track:
    """One ``trak``: what it holds and how it is timed."""

    handler: str
    handler_name: str
    sample_entry: str
    codec_config: bytes
    timescale: int
    duration: int
    language: str
    tkhd: bytes
    edits: list[tuple[int, int, float]]
    sample_sizes: list[int]
    sync_samples: list[int] | None
    sample_deltas: list[tuple[int, int]]
    tree: str

    @property
    def sample_count(self) -> int:
        return len(self.sample_sizes)

    @property
    def media_seconds(self) -> float:
        return self.duration / self.timescale if self.timescale else 0.0


@dataclass
class MP4:
    top: list[Box]
    brands: str
    mvhd: bytes
    timescale: int
    duration: int
    tracks: list[Track]
    udta: bytes

    @property
    def layout(self) -> str:
        return " ".join(box.type for box in self.top)

    @property
    def moov_tree(self) -> str:
        moov = next((b for b in self.top if b.type == "moov"), None)
        return moov.tree() if moov else ""


def read_mp4(path: Path) -> MP4:
    """Parse ``path``'s boxes; payloads of ``mdat`` and ``free`` are skipped, not read."""
    with path.open("rb") as fh:
        data_size = fh.seek(0, 2)
        fh.seek(0)
        top = _read_boxes(fh, 0, data_size, depth=0)
    if not top or top[0].type not in ("ftyp", "styp", "moov", "free", "wide", "mdat"):
        raise NotMP4(f"{path}: not an ISO BMFF (MP4) file")
    ftyp = next((b for b in top if b.type == "ftyp"), None)
    brands = ""
    if ftyp and len(ftyp.payload) >= 8:
        major, minor = ftyp.payload[:4], struct.unpack(">I", ftyp.payload[4:8])[0]
        compat = [ftyp.payload[i : i + 4] for i in range(8, len(ftyp.payload) - 3, 4)]
        brands = f"{_fourcc(major)}/{minor}/{','.join(_fourcc(c) for c in compat)}"
    moov = next((b for b in top if b.type == "moov"), None)
    mvhd = moov.find("mvhd") if moov else None
    timescale = duration = 0
    if mvhd is not None:
        timescale, duration = _header_times(mvhd.payload)
    udta = moov.find("udta") if moov else None
    tracks = [_track(t) for t in (moov.children if moov else []) if t.type == "trak"]
    return MP4(
        top=top,
        brands=brands,
        mvhd=mvhd.payload if mvhd else b"",
        timescale=timescale,
        duration=duration,
        tracks=tracks,
        udta=_flatten(udta) if udta else b"",
    )


def _fourcc(raw: bytes) -> str:
    return raw.decode("latin-1")


def _read_boxes(fh: BinaryIO, start: int, end: int, *, depth: int) -> list[Box]:
    boxes: list[Box] = []
    offset = start
    while offset + 8 <= end:
        fh.seek(offset)
        header = fh.read(8)
        size, kind = struct.unpack(">I4s", header)
        header_len = 8
        if size == 1:
            size = struct.unpack(">Q", fh.read(8))[0]
            header_len = 16
        elif size == 0:
            size = end - offset
        if size < header_len or offset + size > end:
            if depth == 0 and not boxes:
                raise NotMP4("bad first box")
            break
        box = Box(_fourcc(kind), offset, size)
        body_start, body_end = offset + header_len, offset + size
        if kind in _CONTAINERS and depth < 8:
            box.children = _read_boxes(fh, body_start, body_end, depth=depth + 1)
        elif kind not in (b"mdat", b"free", b"skip", b"wide"):
            box.payload = fh.read(body_end - body_start)
            if kind == b"stsd" and len(box.payload) >= 8:
                box.children = _sample_entries(box.payload[8:])
            elif kind == b"meta" and len(box.payload) >= 4:
                box.children = _boxes_in(box.payload[4:])
        boxes.append(box)
        offset += size
    return boxes


def _boxes_in(data: bytes) -> list[Box]:
    """Child boxes of an in-memory payload (sample entries, meta)."""
    out: list[Box] = []
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size < 8 or offset + size > len(data):
            break
        out.append(Box(_fourcc(kind), offset, size, data[offset + 8 : offset + size]))
        offset += size
    return out


def _sample_entries(data: bytes) -> list[Box]:
    entries = _boxes_in(data)
    for entry in entries:
        skip = 78 if entry.type in _VISUAL_ENTRIES else 28
        entry.children = _boxes_in(entry.payload[skip:])
    return entries


def _flatten(box: Box) -> bytes:
    """A box's bytes as parsed (types and payloads): comparable between files."""
    parts = [box.type.encode("latin-1"), box.payload]
    parts.extend(_flatten(c) for c in box.children)
    return b"".join(parts)


def _header_times(payload: bytes) -> tuple[int, int]:
    """(timescale, duration) of an mvhd or mdhd payload."""
    version = payload[0]
    if version == 1:
        return struct.unpack(">IQ", payload[20:32])
    return struct.unpack(">II", payload[12:20])


def _track(trak: Box) -> Track:
    hdlr = trak.find("mdia", "hdlr")
    handler = _fourcc(hdlr.payload[8:12]) if hdlr else ""
    handler_name = hdlr.payload[24:].rstrip(b"\x00").decode("utf-8", "replace") if hdlr else ""
    mdhd = trak.find("mdia", "mdhd")
    timescale = duration = 0
    language = ""
    if mdhd is not None:
        timescale, duration = _header_times(mdhd.payload)
        lang_at = 28 if mdhd.payload[0] == 1 else 20
        code = struct.unpack(">H", mdhd.payload[lang_at : lang_at + 2])[0]
        language = "".join(chr(((code >> s) & 31) + 0x60) for s in (10, 5, 0))
    stbl = trak.find("mdia", "minf", "stbl")
    stsd = stbl.find("stsd") if stbl else None
    entry = stsd.children[0] if stsd and stsd.children else None
    config = b""
    if entry is not None:
        config_box = next((c for c in entry.children if c.type in ("avcC", "hvcC", "esds")), None)
        config = config_box.payload if config_box else b""
    tkhd = trak.find("tkhd")
    return Track(
        handler=handler,
        handler_name=handler_name,
        sample_entry=entry.type if entry else "",
        codec_config=config,
        timescale=timescale,
        duration=duration,
        language=language,
        tkhd=tkhd.payload if tkhd else b"",
        edits=_edits(trak.find("edts", "elst")),
        sample_sizes=_sample_sizes(stbl.find("stsz") if stbl else None),
        sync_samples=_table(stbl.find("stss"), 1) if stbl and stbl.find("stss") else None,
        sample_deltas=[(a, b) for a, b in _pairs(stbl.find("stts") if stbl else None)],
        tree=trak.tree(),
    )


def _edits(elst: Box | None) -> list[tuple[int, int, float]]:
    """(segment duration, media time, rate) per edit."""
    if elst is None:
        return []
    payload = elst.payload
    version, count = payload[0], struct.unpack(">I", payload[4:8])[0]
    out = []
    at = 8
    for _ in range(count):
        if version == 1:
            seg, media = struct.unpack(">Qq", payload[at : at + 16])
            at += 16
        else:
            seg, media = struct.unpack(">Ii", payload[at : at + 8])
            at += 8
        rate = struct.unpack(">hH", payload[at : at + 4])
        at += 4
        out.append((seg, media, rate[0] + rate[1] / 65536))
    return out


def _table(box: Box | None, width: int) -> list[int]:
    """A full box's table of ``width`` 32-bit fields per entry, first field of each."""
    if box is None:
        return []
    count = struct.unpack(">I", box.payload[4:8])[0]
    values = struct.unpack(f">{count * width}I", box.payload[8 : 8 + 4 * count * width])
    return list(values[::width])


def _pairs(box: Box | None) -> list[tuple[int, int]]:
    if box is None:
        return []
    count = struct.unpack(">I", box.payload[4:8])[0]
    values = struct.unpack(f">{count * 2}I", box.payload[8 : 8 + 8 * count])
    return list(zip(values[::2], values[1::2], strict=True))


def _sample_sizes(stsz: Box | None) -> list[int]:
    if stsz is None:
        return []
    uniform, count = struct.unpack(">II", stsz.payload[4:12])
    if uniform:
        return [uniform] * count
    return list(struct.unpack(f">{count}I", stsz.payload[12 : 12 + 4 * count]))


def append_free_box(path: Path, size: int) -> None:
    """Append a ``free`` box of ``size`` bytes (8 or more): padding every reader skips."""
    if size < 8:
        raise ValueError(f"a free box needs at least 8 bytes, got {size}")
    with path.open("ab") as fh:
        fh.write(struct.pack(">I4s", size, b"free"))
        remaining = size - 8
        chunk = bytes(min(remaining, 1 << 20))
        while remaining:
            n = min(remaining, len(chunk))
            fh.write(chunk[:n])
            remaining -= n
