"""Grading stage: Evaluation -> BranchResult (scores, band, caps, vetoes) and the college KPIs. Pure."""

from engine.grading.grade import college_kpis, grade, order_items, score_band

__all__ = ["college_kpis", "grade", "order_items", "score_band"]
