import os
import stat

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


def test_outputs_get_the_mode_the_umask_gives_new_files(tmp_path):
    """Not mkstemp's private 0600: others on a shared cluster can read the results."""
    old = os.umask(0o027)
    try:
        write_json(tmp_path / "a.json", {"a": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o640
