from nca_steps.metrics import COLUMNS, read_metrics, write_metrics


def test_round_trip(tmp_path):
    rows = [(0, 0.5, 0.6, 0.55, 0.008, 1.25), (1, 0.25, 0.3, 0.27, 0.0079, 2.5)]
    write_metrics(tmp_path / "m.csv", rows)
    assert (tmp_path / "m.csv").read_text().splitlines()[0] == ",".join(COLUMNS)
    got = read_metrics(tmp_path / "m.csv")
    assert got["generation"] == [0.0, 1.0] and got["center_loss"] == [0.55, 0.27]
    assert got["seconds"] == [1.25, 2.5]
