"""eval: score labelled sets and run benchmarks; prints figures."""
