"""Join independently compressed day segments into ONE valid gzip stream without recompressing.

Each day is compressed once as a raw deflate stream ended by a sync flush (no final block), so
segments concatenate into one deflate stream; a gzip header, a final empty block and a trailer
(CRC-32 combined arithmetically, length mod 2**32) complete it. One member, not several: some
decoders (httpx) stop at the end of the first gzip member.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
FINAL_BLOCK = b"\x03\x00"  # an empty, final, fixed-Huffman deflate block
LEVEL = 3


@dataclass(frozen=True)
class Segment:
    """One raw-deflate chunk: compressed bytes, CRC-32 and length of the plain text."""

    deflate: bytes
    crc: int
    size: int
    lines: int


def compress_segment(plain: bytes, lines: int) -> Segment:
    """Raw-deflate ``plain`` with a sync flush, so the next segment can follow it."""
    comp = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    data = comp.compress(plain) + comp.flush(zlib.Z_SYNC_FLUSH)
    return Segment(data, zlib.crc32(plain), len(plain), lines)


def inflate_segment(seg_bytes: bytes, chunk: int = 1 << 20) -> list[bytes]:
    """Plain text of one segment, in pieces of at most ~``chunk`` bytes."""
    dec = zlib.decompressobj(-15)
    out: list[bytes] = []
    for i in range(0, len(seg_bytes), chunk // 4):
        out.append(dec.decompress(seg_bytes[i : i + chunk // 4]))
    return [p for p in out if p]


def _gf2_times(mat: list[int], vec: int) -> int:
    total, i = 0, 0
    while vec:
        if vec & 1:
            total ^= mat[i]
        vec >>= 1
        i += 1
    return total


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of A+B from crc(A), crc(B) and len(B): zlib's algorithm, in Python."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def gzip_trailer(segments: list[Segment]) -> bytes:
    """The 8-byte gzip trailer for the concatenation of ``segments``."""
    crc, size = 0, 0
    for seg in segments:
        crc = crc32_combine(crc, seg.crc, seg.size)
        size += seg.size
    return struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF)


def gzip_length(segments: list[Segment]) -> int:
    """Total byte length of the joined gzip stream."""
    return len(GZIP_HEADER) + sum(len(s.deflate) for s in segments) + len(FINAL_BLOCK) + 8
