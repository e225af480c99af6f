"""leadflow's benchmarks (`make bench`, `python -m bench`): each figure beside a floor measured in the same run."""
