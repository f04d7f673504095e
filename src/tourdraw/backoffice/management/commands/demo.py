import secrets
import subprocess
import sys
from base64 import b32encode
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tourdraw.backoffice import demo_data
from tourdraw.catalog.models import Site
from tourdraw.people import second_factor
from tourdraw.people.models import User


class Command(BaseCommand):
    help = "Set up the database, load the demo data once, and serve the demo with its worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
        parser.add_argument("--no-serve", action="store_true", help="set up and load, then exit")

    def handle(self, *args: Any, addr: str, no_serve: bool, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if not Site.objects.exists():
            self.stdout.write("Loading demo data (sites, tours, slots, rounds, entries)...")
            counts = demo_data.load()
            self.stdout.write(f"Demo entries: {counts}")
        password = secrets.token_urlsafe(9)
        operator = User.objects.filter(username="operator").first()
        if operator is None:
            operator = User.objects.create_superuser("operator", password=password)
        else:
            operator.set_password(password)
            operator.save(update_fields=["password"])
        # Staff sign in with a second factor, the demo's operator too.
        device, codes = second_factor.enrol_demo_operator(operator)
        key = b32encode(device.bin_key).decode()
        admin = f"http://{addr}/{settings.TOURDRAW_ADMIN_PATH}"
        self.stdout.write(
            self.style.SUCCESS(
                f"\ntourdraw demo at http://{addr}/\n"
                f"Operator login: http://{addr}/backoffice/  user: operator  password: {password}\n"
                f"Second factor: add the key {key} to an authenticator app (TOTP, 6 digits,\n"
                f"30 s), or type one of these one-time recovery codes: {' '.join(codes)}\n"
                f"(the same login opens the admin, {admin}, and the API docs are at "
                f"http://{addr}/api/v1/docs)\n"
                "Visitors sign in with any mainland mobile number; the code is printed here.\n"
            )
        )
        if no_serve:
            return
        worker = subprocess.Popen([sys.executable, "-m", "tourdraw", "worker"])
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
