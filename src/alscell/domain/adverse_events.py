"""Adverse-event vocabulary: preferred terms, CTCAE grades and relatedness (spec/data-format.md).

Grades follow the Common Terminology Criteria for Adverse Events (CTCAE v5.0, NCI 2017):
1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death related to the AE.
"""

from __future__ import annotations

AE_TERMS = (
    "headache",
    "back_pain",
    "fever",
    "injection_site_pain",
    "meningism",
    "radiculopathy",
    "arachnoiditis",
    "infection",
    "allergic_reaction",
    "thromboembolism",
    "other",
)
CTCAE_GRADES = {1: "mild", 2: "moderate", 3: "severe", 4: "life-threatening", 5: "death"}
RELATEDNESS = ("unrelated", "unlikely", "possible", "probable", "definite")
# Conventional split used in safety tables: possible or stronger counts as treatment-related.
RELATED = ("possible", "probable", "definite")
