"""A small Django project for TaskLib's Django tests: the database is $TESTSITE_DATABASE_URL."""

import os

import django

from tasklib.contrib.django import database_settings

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]
USE_TZ = True
ROOT_URLCONF = "testsite.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # The backport of django.tasks, on Django 5 (Django 6 has django.tasks built in).
    *(["django_tasks"] if django.VERSION < (6, 0) else []),
    "tasklib.contrib.django",
    "shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
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

DATABASES = {"default": database_settings(os.environ["TESTSITE_DATABASE_URL"])}

TASKS = {
    "default": {
        "BACKEND": "tasklib.contrib.django.TaskLibBackend",
        "QUEUES": ["default", "reports"],
    },
    # Failures are final at once here: no retry with backoff to wait for.
    "once": {
        "BACKEND": "tasklib.contrib.django.TaskLibBackend",
        "QUEUES": [],
        "OPTIONS": {"max_retries": 0},
    },
    # A sync task with a timeout runs in a child process that the worker can kill.
    "timed": {
        "BACKEND": "tasklib.contrib.django.TaskLibBackend",
        "OPTIONS": {"timeout_seconds": 60},
    },
}

TASKLIB = {"CONFIG": {"poll_interval_seconds": 0.2}}
