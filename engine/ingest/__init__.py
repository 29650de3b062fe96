"""Ingest: the only stage that reads Excel. A file path in, a ``RawWorkbook`` (values with positions) out."""

from engine.ingest.preflight import Limits
from engine.ingest.reader import parsed_unchecked, read_workbook

__all__ = ["Limits", "parsed_unchecked", "read_workbook"]
