"""Rating math: pure numpy, no web or database imports."""
