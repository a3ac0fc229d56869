"""The test Redis is a real server: it answers, keeps data, and an outage is real."""

from __future__ import annotations

import pytest
import redis


def test_the_redis_fixture_is_a_real_server_that_can_go_away_and_return(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    client.set("k", "v")
    assert client.get("k") == b"v"
    redis_server.stop()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    redis_server.start()
    assert client.ping() is True
