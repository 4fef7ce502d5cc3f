"""Settings fail when they are read, naming the setting, not later when something uses them."""
import pytest

from jinnang.core.settings import Settings, parse_api_keys


def test_api_keys_parse_into_role_subject_and_team():
    keys = parse_api_keys("k1:rep:rep-07, k2:manager:mgr-02:rep-07|rep-08")
    assert keys["k1"].role == "rep" and keys["k1"].subject == "rep-07"
    assert keys["k2"].team == frozenset({"rep-07", "rep-08"})


@pytest.mark.parametrize("spec,problem", [
    ("k1:rep", "key:role:subject"),
    ("k1:boss:x", "role one of"),
    ("dup:rep:rep-01,dup:admin:admin", "repeats the key"),  # never silently the last role
])
def test_a_malformed_or_repeated_api_key_is_refused_at_start(spec, problem, tmp_path):
    with pytest.raises(ValueError, match=problem):
        Settings(data_dir=tmp_path, api_keys=spec)
