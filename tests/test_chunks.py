"""How a batch is cut into worker tasks (pipeline.chunk_bounds)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.pipeline import CHUNK_FILES, chunk_bounds


@given(jobs=st.integers(0, 5000), workers=st.integers(1, 16))
def test_chunks_cover_every_file_once_in_order_and_shrink(jobs: int, workers: int) -> None:
    bounds = chunk_bounds(jobs, workers)
    assert [i for chunk in bounds for i in chunk] == list(range(jobs))
    sizes = [len(chunk) for chunk in bounds]
    assert all(1 <= size <= CHUNK_FILES for size in sizes)
    assert sizes == sorted(sizes, reverse=True)  # large first, small last: no long last task
    assert len(bounds) >= min(jobs, workers)  # every worker gets work when there is enough
    if sizes:
        assert sizes[-1] == 1 or jobs <= workers * 4


def test_a_large_batch_uses_full_chunks_first() -> None:
    sizes = [len(chunk) for chunk in chunk_bounds(1000, 2)]
    assert sizes[0] == CHUNK_FILES and sizes[-1] == 1
