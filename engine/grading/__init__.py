"""Grading stage: Evaluation -> BranchResult (scores, band, caps, vetoes, the path to the next grade) and the
college KPIs. Pure."""

from engine.grading.grade import college_kpis, grade, order_items
from engine.grading.path import next_grade_path, reaches
from engine.grading.scoring import corrected, score_band

__all__ = ["college_kpis", "corrected", "grade", "next_grade_path", "order_items", "reaches", "score_band"]
