"""The project's URLs plus one bare endpoint that inserts one row, for
bench/intake.py to compare entry submission with (same server, same stack)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from tourdraw.audit.models import LogEntry
from tourdraw.urls import urlpatterns as project_urls


@csrf_exempt
def bare_insert(request: HttpRequest) -> JsonResponse:
    entry = LogEntry.objects.create(action="bench.bare", object_type="bench", object_id="0")
    return JsonResponse({"id": entry.pk}, status=201)


urlpatterns = [path("bench/bare/", bare_insert), *project_urls]
