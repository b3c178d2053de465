"""TrialKG: a knowledge graph of clinical trials, drugs, targets, mechanisms and conditions."""

__version__ = "0.1.0"
