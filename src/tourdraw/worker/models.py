from django.db import models


class DutyStatus(models.Model):
    """How one duty of the workers fares, shared by every worker on every host
    (the health report reads it; nothing is kept on a worker's own disk)."""

    name = models.CharField(max_length=50, unique=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    # Only the exception's class: the report is public, the message is in the log.
    last_error = models.CharField(max_length=200, blank=True)
    failures = models.PositiveIntegerField(default=0)  # in a row, since the last success

    def __str__(self) -> str:
        return self.name
