"""`manage.py demo`: sign up three subscribers (one rolled back), run a worker, read results.

What a newcomer sees first: Django tasks enqueued inside transactions, run by the same worker
as `manage.py tasklib_worker` (here until no task is due), their results read back through
Django's own API.
"""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from newsletter.models import Subscriber
from newsletter.tasks import count_subscribers, send_welcome


class Command(BaseCommand):
    help = "Sign up subscribers, run their welcome emails with a TaskLib worker, show the results"

    def handle(self, *args: Any, **options: Any) -> None:
        Subscriber.objects.filter(email__endswith="@example.com").delete()
        results = []
        for email in ["ann@example.com", "bob@example.com"]:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(email=email)
                results.append(send_welcome.enqueue(subscriber.id))
            self.stdout.write(f"signed up {email}: task {results[-1].id} {results[-1].status}")
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(email="eve@example.com")
                send_welcome.enqueue(subscriber.id)
                raise ValueError("payment failed")
        except ValueError:
            self.stdout.write("eve@example.com: signup rolled back, and its task with it")
        results.append(count_subscribers.enqueue())

        self.stdout.write("\nmanage.py tasklib_worker --until-idle:")
        call_command("tasklib_worker", until_idle=True, stdout=self.stdout)

        self.stdout.write("\nresults, read back with Django's get_result:")
        for result in results:
            result.refresh()
            self.stdout.write(f"  {result.task.name}: {result.status} {result.return_value!r}")
        welcomed = Subscriber.objects.filter(welcomed_at__isnull=False).count()
        self.stdout.write(f"\n{welcomed} subscribers welcomed; eve@example.com never existed")
