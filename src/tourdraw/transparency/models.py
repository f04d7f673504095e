from django.db import models
from django.utils.translation import gettext_lazy as _


class LogHead(models.Model):
    """The one row that says where the public log ends.

    Appending locks it, so entries get their sequence numbers one at a time
    and each names the hash of the one before it (``log.append``).
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("end of the public log")

    def __str__(self) -> str:
        return f"{self.seq} {self.hash}"


class LogRecord(models.Model):
    """One entry of the platform's public, append-only log (spec section 7).

    ``body`` is the canonical JSON the entry's hash covers, kept as text so
    that what is served is byte for byte what was signed.
    """

    seq = models.PositiveBigIntegerField(_("number"), unique=True)
    prev = models.CharField(max_length=64)
    time = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=20)
    round_code = models.CharField(_("round"), max_length=80, db_index=True)
    body = models.TextField()
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=40)
    signature = models.CharField(max_length=128)

    class Meta:
        verbose_name = _("public log entry")
        verbose_name_plural = _("public log entries")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.seq} {self.kind} {self.round_code}"
