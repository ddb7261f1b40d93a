"""Writes the small training fixture used by the training tests (dev-only, run once).

2,000 rows of the shared UNSW-NB15 Parquet file, a stratified sample (seed 1) that keeps the
file's normal/attack shares, in the Kaggle 36-column layout.

    python3 tools/make_training_fixture.py ../shared/data/UNSW_NB15_testing-set.dev.parquet \
        crates/lstm-detector/tests/fixtures/flows_train_2k.parquet
"""
import sys

import pyarrow.parquet as pq
from sklearn.model_selection import train_test_split

source, target = sys.argv[1], sys.argv[2]
table = pq.read_table(source)
labels = table.column("label").to_numpy()
_, rows = train_test_split(range(table.num_rows), test_size=2000, stratify=labels, random_state=1)
pq.write_table(table.take(sorted(rows)), target, compression="snappy")
