import pytest

from nca_steps.files import atomic_path, write_json


def test_atomic_path_replaces_only_on_success(tmp_path):
    out = tmp_path / "sub" / "out.json"
    write_json(out, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(out) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert out.read_text() == '{\n  "a": 1\n}\n'
    assert [p.name for p in out.parent.iterdir()] == ["out.json"]
