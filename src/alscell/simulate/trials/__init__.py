"""In-silico trial designer: power, type-I error, bias and coverage of ALS cell-therapy trial designs.

``run_designs([TrialDesign(...)], n_trials, seed)`` simulates trials on the simulator's natural history
(``alscell.simulate``), analyses each with the design's primary endpoint and summarises the performance
with Monte Carlo SEs (docs/trials.md; CLI ``alscell power``).  Modules: ``design`` (what a trial is),
``population`` (screening, run-in, allocation), ``endpoints`` (batched analyses), ``boundaries``
(Lan–DeMets group-sequential boundaries), ``procova`` (prognostic covariate adjustment), ``metrics``
(Morris et al. 2019 MCSEs), ``runner`` (batches, seeds, Dask).
"""

from alscell.simulate.trials.boundaries import SPENDING, boundaries, crossing_probabilities, spent_alpha
from alscell.simulate.trials.design import ENDPOINTS, KINDS, TrialDesign, nurown_phase3
from alscell.simulate.trials.population import EligibilityError, TrialData, simulate_trial
from alscell.simulate.trials.runner import Summary, analyse, run_batch, run_designs, summarise

__all__ = [
    "ENDPOINTS",
    "KINDS",
    "SPENDING",
    "EligibilityError",
    "Summary",
    "TrialData",
    "TrialDesign",
    "analyse",
    "boundaries",
    "crossing_probabilities",
    "nurown_phase3",
    "run_batch",
    "run_designs",
    "simulate_trial",
    "spent_alpha",
    "summarise",
]
