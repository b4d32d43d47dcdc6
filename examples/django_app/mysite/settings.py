"""Settings of the sample project: a newsletter whose welcome emails are Django tasks.

The database is $DATABASE_URL (or $TASKLIB_DATABASE_URL) when set, else TaskLib's embedded
PostgreSQL, the one `tasklib demo` uses: started by the first manage.py command that needs it
and stopped when the last one ends (`uv run tasklib db start` keeps it running).
"""

import os

import django

from tasklib.contrib.django import database_settings

SECRET_KEY = "sample-project-only"
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "mysite.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Django < 6: the backport of django.tasks (Django 6 has it built in).
    *(["django_tasks"] if django.VERSION < (6, 0) else []),
    "tasklib.contrib.django",  # migrations for TaskLib's schema, tasklib_worker, the admin
    "newsletter",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or os.environ.get("TASKLIB_DATABASE_URL")
    if url:
        return url
    from tasklib.embedded import start_default

    _server, url = start_default()
    return url


DATABASES = {"default": database_settings(_database_url())}

# Django's Tasks framework, on TaskLib: tasks are rows of tasklib.tasks in that database.
TASKS = {
    "default": {
        "BACKEND": "tasklib.contrib.django.TaskLibBackend",
        "QUEUES": ["default", "emails"],
        "OPTIONS": {"max_retries": 5},
    }
}

# Optional; shown with its defaults but one.
TASKLIB = {
    "DATABASE": "default",
    "WORKER": {"concurrency": 4},
    "CONFIG": {"poll_interval_seconds": 0.5},
}
