"""alscell: registry, honest evidence engine and in-silico trial simulator for MSC therapy in ALS."""

__version__ = "0.1.0"
