import uuid

from plano_common.request_ids import new_request_id


def test_request_ids_are_uuid4_hex_and_unique() -> None:
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert parsed.hex == value
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
