"""The C++ Philox streams against the plain-Python reference (and Random123's known answers)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infogen import _core
from infogen.reference import random as ref


def test_philox_known_answers():
    # Random123's kat_vectors for philox4x32_10.
    assert ref.philox4x32_10((0, 0, 0, 0), (0, 0)) == (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)
    assert ref.philox4x32_10((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2) == (0x408F276D, 0x41C83B0E, 0xA20BC7C6,
                                                                      0x6D5451FD)
    assert ref.philox4x32_10((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0)) == (
        0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)


@pytest.mark.parametrize("bulk", [False, True])
@pytest.mark.parametrize("seed, stream", [(0, 0), (12345, 7), (2**64 - 1, 2**63 + 5)])
def test_stream_matches_reference(seed, stream, bulk):
    ours = _core.philox_u32(seed, stream, 300, 0, bulk)
    assert ours.dtype == np.uint32
    assert ours.tolist() == ref.philox_u32(seed, stream, 300)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**64 - 1), stream=st.integers(0, 2**40), n=st.integers(0, 200),
       skip=st.one_of(st.integers(0, 40), st.integers(0, 2**60)))
def test_bulk_fill_equals_one_at_a_time(seed, stream, n, skip):
    """fill_u32 from any position (mid-block included) continues the stream bit for bit."""
    bulk = _core.philox_u32(seed, stream, n, skip, True)
    single = _core.philox_u32(seed, stream, n, skip, False)
    np.testing.assert_array_equal(bulk, single)
    assert bulk.tolist() == ref.philox_u32(seed, stream, n, skip)


@pytest.mark.parametrize("bulk", [False, True])
def test_counter_carry_into_the_high_word(bulk):
    """Blocks 2^32 - 20 .. 2^32 + 20: the bulk path must carry the counter's low word."""
    skip = 4 * (2**32 - 20) + 3
    ours = _core.philox_u32(99, 5, 170, skip, bulk)
    assert ours.tolist() == ref.philox_u32(99, 5, 170, skip)


def test_draws_look_uniform():
    u = _core.philox_u32(2026, 3, 400_000).astype(np.float64) / 2**32
    counts, _ = np.histogram(u, bins=16, range=(0, 1))
    chi2 = (((counts - u.size / 16) ** 2) / (u.size / 16)).sum()
    assert chi2 < 37.7  # chi-square, 15 degrees of freedom, p = 0.001
