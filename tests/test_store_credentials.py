"""A database password never reaches `licscan db path`, an error or a log, in any form SQLAlchemy accepts."""

from __future__ import annotations

import logging
import socket

import pytest
from typer.testing import CliRunner

from licscan.cli import app
from licscan.errors import CacheError
from licscan.resolution import describe_url, open_store

runner = CliRunner()
SECRET = "Sup3rSecretPw"


def _closed_port() -> int:
    with socket.socket() as probe:  # free a moment ago, nothing listening now: the connection is refused
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _forms(port: int) -> dict[str, str]:
    return {
        "userinfo": f"postgresql://scanner:{SECRET}@127.0.0.1:{port}/licscan",
        "query password": f"postgresql://scanner@127.0.0.1:{port}/licscan?password={SECRET}&sslmode=disable",
        "query user and password": f"postgresql://127.0.0.1:{port}/licscan?user=scanner&password={SECRET}",
        "percent-encoded @": f"postgresql://scanner:{SECRET}%40tail@127.0.0.1:{port}/licscan",
        "unencoded @": f"postgresql://scanner:{SECRET}@tailpart@127.0.0.1:{port}/licscan",
    }


@pytest.mark.parametrize("form", sorted(_forms(5432)))
def test_db_path_hides_the_password_in_every_form(form, tmp_path):
    url = _forms(5432)[form]
    shown = describe_url(url)
    assert SECRET not in shown and "tailpart" not in shown and "***" in shown, shown
    assert "127.0.0.1:5432/licscan" in shown  # the rest stays, so the user sees where the cache is
    result = runner.invoke(app, ["db", "path"], env={"LICSCAN_DB_URL": url})
    assert result.exit_code == 0 and result.output.strip() == shown


@pytest.mark.parametrize("form", sorted(_forms(5432)))
def test_a_database_that_cannot_be_reached_is_named_without_its_password(form, caplog):
    pytest.importorskip("psycopg")
    caplog.set_level(logging.DEBUG)
    url = _forms(_closed_port())[form]
    with pytest.raises(CacheError) as caught:
        open_store(url, connect_timeout=2)
    message = str(caught.value)
    assert SECRET not in message and "tailpart" not in message and "127.0.0.1" in message, message
    assert not any(SECRET in record.getMessage() or "tailpart" in record.getMessage() for record in caplog.records)


def test_an_unencoded_at_sign_belongs_to_the_password_not_the_host():
    # libpq and most URL readers split userinfo from host at the last "@"; the host is what follows it.
    assert describe_url(_forms(5432)["unencoded @"]) == "postgresql://scanner:***@127.0.0.1:5432/licscan"
