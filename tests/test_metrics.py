import math

from nca_steps.metrics import (
    COLUMNS,
    imported_from,
    read_metrics,
    write_imported_metrics,
    write_metrics,
)


def test_round_trip(tmp_path):
    rows = [(0, 0.5, 0.6, 0.55, 0.008, 1.25), (1, 0.25, 0.3, 0.27, 0.0079, 2.5)]
    write_metrics(tmp_path / "m.csv", rows)
    assert (tmp_path / "m.csv").read_text().splitlines()[0] == ",".join(COLUMNS)
    got = read_metrics(tmp_path / "m.csv")
    assert got["generation"] == [0.0, 1.0] and got["center_loss"] == [0.55, 0.27]
    assert got["seconds"] == [1.25, 2.5]
    assert imported_from(tmp_path / "m.csv") is None


def test_an_imported_models_table_names_its_source_and_has_no_losses(tmp_path):
    write_imported_metrics(tmp_path / "m.csv", "https://example.org/ex1.json")
    assert imported_from(tmp_path / "m.csv") == "https://example.org/ex1.json"
    got = read_metrics(tmp_path / "m.csv")
    assert got["generation"] == [0.0] and got["seconds"] == [0.0]
    assert all(math.isnan(got[k][0]) for k in ("best_loss", "mean_loss", "center_loss"))
