"""Sign up (a subscriber and its welcome email, in one transaction) and a task's status."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from newsletter.models import Subscriber
from newsletter.tasks import send_welcome

try:
    from django.tasks import default_task_backend
    from django.tasks.exceptions import TaskResultDoesNotExist
except ImportError:
    from django_tasks import default_task_backend
    from django_tasks.exceptions import TaskResultDoesNotExist


@csrf_exempt  # a sample API for curl; keep CSRF protection in forms
@require_POST
def signup(request: HttpRequest) -> JsonResponse:
    email = request.GET.get("email", "")
    try:
        validate_email(email)
        # The subscriber and its welcome email commit together, or neither exists.
        with transaction.atomic():
            subscriber = Subscriber.objects.create(email=email)
            result = send_welcome.enqueue(subscriber.id)
    except ValidationError:
        return JsonResponse({"error": f"{email!r} is not an email address"}, status=400)
    except IntegrityError:
        return JsonResponse({"error": f"{email} has signed up already"}, status=409)
    return JsonResponse({"task_id": result.id, "status": result.status})


@require_GET
def task_status(request: HttpRequest, result_id: str) -> JsonResponse:
    try:
        result = default_task_backend.get_result(result_id)
    except TaskResultDoesNotExist:
        return JsonResponse({"error": f"no task {result_id}"}, status=404)
    answer = {"task_id": result.id, "task": result.task.module_path, "status": result.status}
    if result.status == "SUCCESSFUL":
        answer["return_value"] = result.return_value
    answer["errors"] = [error.traceback.strip().splitlines()[-1] for error in result.errors]
    return JsonResponse(answer)
