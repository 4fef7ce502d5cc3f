"""Domain errors know no HTTP; the API alone gives each its status, in the documented error shape."""
import pytest

from jinnang.api.errors import status_of
from jinnang.core.errors import Conflict, Empty, InputError, NotFound, TooLarge, Unsupported


@pytest.mark.parametrize("error,status", [(InputError, 422), (Empty, 400), (NotFound, 404), (Conflict, 409),
                                          (TooLarge, 413), (Unsupported, 415)])
def test_each_domain_error_has_its_status(error, status):
    exc = error("file", "why")
    assert status_of(exc) == status
    assert exc.as_dict(status) == {"status": status, "field": "file", "path": "file", "message": "why"}
