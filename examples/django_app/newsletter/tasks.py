"""The project's Django tasks: enqueued by views, run by `manage.py tasklib_worker`."""

from django.utils import timezone

try:
    from django.tasks import task  # Django 6
except ImportError:
    from django_tasks import task  # Django 4.2-5.2, with the django-tasks backport

from newsletter.models import Subscriber


@task(queue_name="emails")
def send_welcome(subscriber_id: int) -> str:
    subscriber = Subscriber.objects.get(id=subscriber_id)
    # ... send the email here ...
    subscriber.welcomed_at = timezone.now()
    subscriber.save(update_fields=["welcomed_at"])
    return f"welcome email sent to {subscriber.email}"


@task(priority=-10)
async def count_subscribers() -> int:
    return await Subscriber.objects.acount()
