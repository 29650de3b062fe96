"""Ingest: the only stage that reads Excel. A file path in, a ``RawWorkbook`` (values with positions) out."""

from engine.ingest.preflight import Limits
from engine.ingest.reader import read_workbook

__all__ = ["Limits", "read_workbook"]
