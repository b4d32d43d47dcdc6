"""Django tasks of the test project, run by `manage.py tasklib_worker`."""

import os

from asgiref.sync import sync_to_async

try:
    from django.tasks import task  # Django 6
except ImportError:
    from django_tasks import task  # the backport

from shop.models import Order


@task
def add(a: int, b: int) -> int:
    return a + b


@task(backend="once")
def explode(message: str) -> None:
    raise ValueError(message)


@task
async def greet(name: str) -> str:
    count = await sync_to_async(Order.objects.count)()
    return f"hello {name}, {count} orders"


@task
def mark_paid(order_id: int) -> str:
    order = Order.objects.get(id=order_id)
    order.paid = True
    order.save()
    return order.item


@task(priority=10, queue_name="reports")
def report() -> dict[str, int]:
    return {"orders": Order.objects.count()}


@task(backend="timed")
def count_in_child(item: str) -> list[int]:
    return [Order.objects.filter(item=item).count(), os.getpid(), os.getppid()]


@task
def worker_pid() -> int:
    return os.getpid()


def not_a_task() -> None:
    """Not decorated: its path is no Django task."""
