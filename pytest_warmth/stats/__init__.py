"""Statistics for paired base-versus-tuned comparisons (pure numpy/scipy, no pytest)."""

from __future__ import annotations

from pytest_warmth.stats.amplification import AmplificationResult, amplification_test
from pytest_warmth.stats.clustered import ClusteredResult, cluster_counts, clustered_mcnemar
from pytest_warmth.stats.intervals import (
    Interval,
    paired_difference_ci,
    tango_statistic,
    tango_test,
)
from pytest_warmth.stats.mcnemar import McNemarResult, mcnemar_test
from pytest_warmth.stats.multiplicity import adjust_pvalues
from pytest_warmth.stats.power import (
    connor_power,
    minimum_detectable_effect,
    required_sample_size,
    untestable,
)
from pytest_warmth.stats.sequential import (
    DesignSimulation,
    SequentialMcNemar,
    items_to_decision,
    log_evalue,
    log_evalue_grid,
    simulate_design,
)

__all__ = [
    "AmplificationResult",
    "ClusteredResult",
    "DesignSimulation",
    "Interval",
    "McNemarResult",
    "SequentialMcNemar",
    "adjust_pvalues",
    "amplification_test",
    "cluster_counts",
    "clustered_mcnemar",
    "connor_power",
    "items_to_decision",
    "log_evalue",
    "log_evalue_grid",
    "mcnemar_test",
    "minimum_detectable_effect",
    "paired_difference_ci",
    "required_sample_size",
    "simulate_design",
    "tango_statistic",
    "tango_test",
    "untestable",
]
