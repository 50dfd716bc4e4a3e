"""Virtual ALS patients: natural history, MSC therapy, adverse events and study designs.

``simulate_cohort(CohortConfig(...), seed)`` returns canonical tables (spec/data-format.md) that
``alscell import`` accepts, plus the per-patient truth.

The effect, precisely
---------------------
With ``effect = E`` (ALSFRS-R points/month, positive = slower decline) a treated patient's *latent*
ALSFRS-R course after the first active administration t0 is::

    F(t) = natural(t) + E_i · G(t),      G(t) = ∫_{t0}^{t} w(u) du      (t in months)

where ``natural`` is the patient's D50 sigmoid (normalised to 48 at onset) and ``w`` the effect intensity
of the EffectModel.  With the default EffectModel (no waning, window multipliers 1, no re-dosing boost,
no heterogeneity, route and source multipliers 1) ``w = 1`` after t0, so ``E_i = E`` and the estimand
"slope change in points/month after the first treatment" equals E exactly on the latent scale.  The
latent course is clipped to [0, 48]; the 12 items are derived from it by water filling (onset region
first), then item-level noise, rounding, floors and ceilings; item 12 follows NIV/tracheostomy and item 5
switches from 5a to 5b at gastrostomy.  Everything else (FVC, grip, dynamometry, FSS, ALSAQ-40, NfL,
gastrostomy / NIV / tracheostomy / death times, informative dropout) is computed from the latent course,
so a slower course shows everywhere.  Domain-specific extras (local intramuscular effect on injected
muscles, inflammatory markers, FVC, fatigue) are per unit of E (see EffectModel).

``effect = 0`` changes nothing: every random number is drawn before treatment is known, in arrays whose
shapes do not depend on who is treated, and the effect enters only as ``+ E_i · G``, so the outcome
tables (alsfrs, measurements, events) are bit-identical to the same seed's untreated course.  Adverse
events of the administrations are a separate, configurable safety model (``ae_rates``).

Placebo (sham) administrations carry ``blinded_arm = placebo`` and never have an effect; ``cycle`` counts
every administration of the patient, sham included.
"""

from alscell.simulate.cohort import ConfigError, SimulatedCohort, simulate_cohort
from alscell.simulate.config import (
    DEFAULT_AE_RATES,
    DESIGNS,
    AERate,
    CohortConfig,
    EffectModel,
    NaturalHistory,
)
from alscell.simulate.engine import BLOCK_SIZE

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_AE_RATES",
    "DESIGNS",
    "AERate",
    "CohortConfig",
    "ConfigError",
    "EffectModel",
    "NaturalHistory",
    "SimulatedCohort",
    "simulate_cohort",
]
