"""TaskLib's settings in a Django project: DATABASES <-> URLs, and the TASKLIB dict's checks."""

from __future__ import annotations

import psycopg.conninfo
import pytest

pytest.importorskip("django")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:5432/shop",
        "postgresql://app:p%40ss%3Aw%2Frd@db.internal:6432/shop?sslmode=require",
        "postgresql://postgres@/tasklib?host=/tmp/embedded%20pg&port=5433",
        "postgresql:///shop?application_name=web&connect_timeout=5",
    ],
)
def test_a_url_survives_databases_and_back(url: str) -> None:
    from tasklib.contrib.django._settings import database_settings, url_from_settings

    entry = database_settings(url, CONN_MAX_AGE=60)
    assert entry["ENGINE"] == "django.db.backends.postgresql"
    assert entry["CONN_MAX_AGE"] == 60
    back = url_from_settings(entry)
    assert psycopg.conninfo.conninfo_to_dict(back) == psycopg.conninfo.conninfo_to_dict(url)


def test_options_that_django_consumes_are_left_out_of_the_url() -> None:
    from tasklib.contrib.django._settings import url_from_settings

    url = url_from_settings(
        {
            "NAME": "shop",
            "HOST": "localhost",
            "OPTIONS": {"pool": {"min_size": 2}, "server_side_binding": True, "sslmode": "prefer"},
        }
    )
    assert psycopg.conninfo.conninfo_to_dict(url) == {
        "dbname": "shop",
        "host": "localhost",
        "sslmode": "prefer",
    }


def test_the_tasklib_setting_refuses_unknown_keys(django_url: str) -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from tasklib.contrib.django import _settings

    with (
        override_settings(TASKLIB={"DATABASES": "default"}),
        pytest.raises(ImproperlyConfigured, match="unknown keys"),
    ):
        _settings.database_alias()
    with (
        override_settings(TASKLIB={"CONFIG": {"lease": 3}}),
        pytest.raises(ImproperlyConfigured, match=r"tasklib\.Config fields"),
    ):
        _settings.config()
    with (
        override_settings(TASKLIB={"DATABASE": "elsewhere"}),
        pytest.raises(ImproperlyConfigured, match=r"not in settings\.DATABASES"),
    ):
        _settings.database_alias()
    with override_settings(TASKLIB={"CONFIG": {"lease_seconds": 7}}):
        config = _settings.config()
    assert config.lease_seconds == 7
    assert (
        psycopg.conninfo.conninfo_to_dict(config.require_database_url())["dbname"]
        == psycopg.conninfo.conninfo_to_dict(django_url)["dbname"]
    )
