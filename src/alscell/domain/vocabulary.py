"""Controlled vocabularies of the canonical data format (spec/data-format.md).

Plain tuples of the allowed strings so that validators, the ORM, the simulator and the web forms all
share one list.  Muscle keys come from spec/domain-rules.md ("Measures").
"""

from __future__ import annotations

SEXES = ("F", "M", "U")
ONSET_SITES = ("bulbar", "limb", "respiratory", "generalized")
EL_ESCORIAL = ("definite", "probable", "probable_lab", "possible", "suspected")

# Therapy vocabulary (treatments.csv)
CELL_SOURCES = ("bone_marrow", "adipose", "umbilical_cord", "wharton_jelly", "placenta", "other")
DONORS = ("autologous", "allogeneic")
ROUTES = ("intrathecal", "intravenous", "intramuscular", "intraspinal")
BLINDED_ARMS = ("active", "placebo")

# The occasion of an ALSFRS-R visit (alsfrs.visit_type, an optional extension: docs/data-rules.md): a planned
# clinic review, an extra clinic contact, a visit at home, a rating during a hospital admission, by phone or
# video.  After the encounter classes of HL7 v3 ActEncounterCode as FHIR's Encounter.class uses them (AMB
# ambulatory, split here into scheduled and unscheduled as CDISC SDTM's SV domain marks unplanned visits; HH
# home health; IMP inpatient encounter; VR virtual).
VISIT_TYPES = ("scheduled", "unscheduled", "home", "inpatient", "remote")

# Intramuscular targets and dynamometry sites (spec/domain-rules.md, "Muscle keys").
MUSCLES = (
    "deltoid",
    "biceps",
    "triceps",
    "wrist_extensors",
    "first_dorsal_interosseous",
    "abductor_pollicis_brevis",
    "iliopsoas",
    "quadriceps",
    "hamstrings",
    "tibialis_anterior",
    "gastrocnemius",
    "tongue",
)
SIDES = ("left", "right")
SPECIMENS = ("csf", "serum", "plasma")

# Clinical events (events.csv).  The last three end follow-up: no later visit may exist.
EVENTS = (
    "death",
    "tracheostomy",
    "niv_start",
    "permanent_ventilation",
    "gastrostomy",
    "withdrawal",
    "lost_to_follow_up",
)
FOLLOW_UP_ENDING_EVENTS = ("death", "withdrawal", "lost_to_follow_up")

BOOLEAN_STRINGS = ("true", "false")
