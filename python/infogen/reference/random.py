"""Plain-Python Philox4x32-10 streams: the reference of ``cpp/include/infogen/random.hpp``.

A stream (seed, stream id) is Philox4x32-10 (Salmon et al., SC'11) keyed by a SplitMix64
hash of the pair, counting blocks of four 32-bit words from zero with the stream id in the
counter's high half. Every random draw of the C++ kernels comes from such streams.
"""
from __future__ import annotations

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def splitmix64(x: int) -> int:
    """SplitMix64's finaliser of ``x + golden gamma`` (64-bit wrap-around arithmetic)."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def philox4x32_10(counter: tuple[int, int, int, int], key: tuple[int, int]) -> tuple[int, int, int, int]:
    """One Philox4x32-10 block: ten rounds of the bijection on a 128-bit counter."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & M32, (p0 >> 32) ^ c3 ^ k1, p0 & M32
        k0 = (k0 + 0x9E3779B9) & M32
        k1 = (k1 + 0xBB67AE85) & M32
    return c0, c1, c2, c3


def philox_u32(seed: int, stream: int, n: int, skip: int = 0) -> list[int]:
    """Draws ``skip .. skip + n - 1`` (32 bits each) of the stream (seed, stream)."""
    k = splitmix64(seed ^ splitmix64((stream + 0x632BE59BD9B4E019) & M64))
    key = (k & M32, k >> 32)
    out: list[int] = []
    block = skip // 4
    while len(out) < n + skip % 4:
        out.extend(philox4x32_10((block & M32, block >> 32, stream & M32, stream >> 32), key))
        block += 1
    return out[skip % 4: skip % 4 + n]
