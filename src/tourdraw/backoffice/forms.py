"""Every input a back-office page reads, query strings included: a form checks
it, so bad input is the page again with the field's message (400), never a 500."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tourdraw.catalog.models import Notice, Site, Slot, Tour
from tourdraw.catalog.notices import NoticeText
from tourdraw.edge import parse_id
from tourdraw.errors import Code
from tourdraw.lottery.codes import ALPHABET, LENGTH
from tourdraw.lottery.models import Round
from tourdraw.people.documents import DOCUMENT_TYPE_CHOICES
from tourdraw.visits import calls
from tourdraw.visits.models import CallAttempt, Offer
from tourdraw.web.forms import DomainErrorsMixin

# The largest id (and page number) a form takes: 18 digits, as edge.parse_id.
MAX_ID = 10**18 - 1
LOCAL_MINUTE = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class IdsField(forms.Field):
    """Ticked rows' ids (checkboxes of one name): every value a database id."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("A ticked row is not one of the list's.")}

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        ids = [parse_id(item) for item in values]
        if None in ids:
            raise ValidationError(self.error_messages["invalid"], code=Code.INVALID)
        return [found for found in ids if found is not None]


def _check_ids(field: forms.Field, values: list[Any], code: str) -> None:
    """Refuse what is no database id before the query: a 20-digit number would
    overflow the database's integer instead of matching nothing."""
    for value in values:
        if value not in field.empty_values and parse_id(str(value)) is None:
            raise ValidationError(
                field.error_messages[code], code=code, params={"value": value, "pk": value}
            )


class IdChoiceField(forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        _check_ids(self, [value], "invalid_choice")
        return super().to_python(value)


class IdsChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        values = list(value) if isinstance(value, list | tuple) else [value]
        _check_ids(self, values, "invalid_pk_value")
        return super().clean(value)


class SlotChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.tour.site.tr('name')} · {obj.label}"


class TourChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.site.tr('name')} · {obj.tr('name')}"


class CallCentreForm(forms.Form):
    """The call centre's search, filters and page, read from the query string."""

    code = forms.RegexField(
        label=_("Entry code"),
        regex=rf"^\s*[{ALPHABET}{ALPHABET.lower()}]{{1,{LENGTH}}}\s*$",
        required=False,
        error_messages={"invalid": _("An entry code has up to 10 letters and digits 2–9.")},
    )
    phone = forms.RegexField(
        label=_("Phone ends in"),
        regex=r"^\s*[0-9]{4}\s*$",
        required=False,
        error_messages={"invalid": _("Type the last 4 digits of the phone number.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    state = forms.ChoiceField(label=_("State"), required=False)
    slot = SlotChoiceField(label=_("Session"), queryset=Slot.objects.none(), required=False)
    page = forms.IntegerField(label=_("Page"), min_value=1, max_value=MAX_ID, required=False)

    def __init__(self, *args: Any, slots: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        states = [
            (calls.TO_CALL, _("to call")),
            (calls.LAPSING, _("no more calls")),
            *((value, label) for value, label in Offer.State.choices if value != "pending"),
        ]
        field_state = self.fields["state"]
        assert isinstance(field_state, forms.ChoiceField)
        field_state.choices = states
        field_slot = self.fields["slot"]
        assert isinstance(field_slot, forms.ModelChoiceField)
        field_slot.queryset = slots

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper()

    def clean_phone(self) -> str:
        return str(self.cleaned_data["phone"]).strip()

    def clean_state(self) -> str:
        return self.cleaned_data["state"] or calls.TO_CALL

    def query(self) -> dict[str, str]:
        """The filters as they go back into the page's address (no page number)."""
        data = self.cleaned_data
        kept = {
            "code": data["code"],
            "phone": data["phone"],
            "state": data["state"] if data["state"] != calls.TO_CALL else "",
            "slot": str(data["slot"].pk) if data["slot"] else "",
        }
        return {name: value for name, value in kept.items() if value}


class RecordCallForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=CallAttempt.Outcome.choices,
        error_messages=dict.fromkeys(
            ("required", "invalid_choice"), _("Choose how the call went.")
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    # The row to show after the call: the next one on the agent's page.
    after = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput
    )


class IdentityDisputeForm(DomainErrorsMixin, forms.Form):
    phone = forms.CharField(label=_("Caller's sign-in phone number"), max_length=32)
    id_type = forms.ChoiceField(label=_("ID document"), choices=DOCUMENT_TYPE_CHOICES)
    id_number = forms.CharField(
        label=_("Number on the document the caller showed"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    evidence = forms.CharField(
        label=_("What proved it is theirs"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. document seen on video call, matching face. No ID numbers here."),
    )


class GateNameForm(forms.Form):
    gate_name = forms.CharField(label=_("This gate"), max_length=100, required=False)


class GateScanForm(forms.Form):
    """A ticket named at the gate: its scanned QR, or the ID document shown."""

    code = forms.CharField(label=_("Scan the ticket QR"), max_length=1000, required=False)
    id_type = forms.ChoiceField(
        label=_("ID document"), choices=[("", "—"), *DOCUMENT_TYPE_CHOICES], required=False
    )
    id_number = forms.CharField(
        label=_("Number on the document in your hand"), max_length=40, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        if data.get("id_number") and not data.get("id_type"):
            self.add_error("id_type", _("Choose the kind of ID document."))
        elif not data.get("id_number") and not data.get("code"):
            raise ValidationError(_("Scan the ticket, or type the number on the ID document."))
        return data

    def named(self) -> dict[str, str]:
        data = self.cleaned_data
        return {"code": data["code"], "id_type": data["id_type"], "id_number": data["id_number"]}


class GateCheckInForm(GateScanForm):
    member = IdsField(label=_("Persons"), required=False)
    nonce = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)


class GroupCheckInForm(forms.Form):
    member = IdsField(label=_("Members"), required=False)


class GroupDocumentForm(forms.Form):
    """A group member's ID document, typed from the card in the staff member's hand."""

    id_type = forms.ChoiceField(label=_("ID document"), choices=DOCUMENT_TYPE_CHOICES)
    id_number = forms.CharField(label=_("Number on the document in your hand"), max_length=40)


class GroupDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("decline", _("Decline"))],
        error_messages={"invalid_choice": _("Approve or decline the request.")},
    )
    slot = SlotChoiceField(label=_("Keep places in"), queryset=Slot.objects.none(), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)

    def __init__(self, *args: Any, slots: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_slot = self.fields["slot"]
        assert isinstance(field_slot, forms.ModelChoiceField)
        field_slot.queryset = slots

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "approve" and not data.get("slot") and "slot" not in self.errors:
            self.add_error("slot", _("Choose the session to keep places in."))
        return data


class RoundForm(DomainErrorsMixin, forms.Form):
    """A new round: its tour, code, titles, times and sessions."""

    field_map = {"slots": "slot"}
    tour = TourChoiceField(label=_("Tour"), queryset=Tour.objects.none())
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^[-a-zA-Z0-9_]+$",
        max_length=Round._meta.get_field("code").max_length,
        error_messages={
            "invalid": _("A round code has at most 80 letters, digits, hyphens and underscores.")
        },
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    opens_at = forms.DateTimeField(label=_("Entries open"), widget=LOCAL_MINUTE)
    closes_at = forms.DateTimeField(label=_("Entries close"), widget=LOCAL_MINUTE)
    draws_at = forms.DateTimeField(label=_("Draw"), widget=LOCAL_MINUTE)
    slot = IdsChoiceField(label=_("Sessions offered"), queryset=Slot.objects.none(), required=False)

    def __init__(self, *args: Any, tours: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_tour = self.fields["tour"]
        assert isinstance(field_tour, forms.ModelChoiceField)
        field_tour.queryset = tours
        slots = Slot.objects.filter(tour__in=tours)
        field_slot = self.fields["slot"]
        assert isinstance(field_slot, forms.ModelChoiceField)
        field_slot.queryset = slots

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tour, slots = data.get("tour"), data.get("slot")
        if tour is not None and slots and any(slot.tour_id != tour.pk for slot in slots):
            self.add_error("slot", _("Choose sessions of this round's tour."))
        return data


class DashboardsForm(forms.Form):
    """The dashboards' query string: the year shown and the table a CSV holds."""

    year = forms.IntegerField(
        label=_("Year"),
        min_value=2000,
        max_value=2100,
        required=False,
        error_messages=dict.fromkeys(
            ("invalid", "min_value", "max_value"),
            _("Write the year as four digits, 2000 to 2100."),
        ),
    )
    table = forms.ChoiceField(
        label=_("Table"),
        choices=[("sites", _("Sites")), ("rounds", _("Rounds"))],
        required=False,
        error_messages={"invalid_choice": _("Choose the sites table or the rounds table.")},
    )


class NoticeForm(DomainErrorsMixin, forms.Form):
    """A site's notice as the operator writes it; its texts are checked by the
    service (catalog/notices.py), whose messages say which text is wrong."""

    tour = forms.ModelChoiceField(
        label=_("Tour"),
        queryset=Tour.objects.none(),
        required=False,
        empty_label=_("Every tour of the site"),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Notice.Kind.choices)
    text = forms.CharField(
        label=_("Text (Chinese)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    text_en = forms.CharField(
        label=_("Text (English)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, initial=0)
    active = forms.BooleanField(label=_("Shown to visitors"), required=False, initial=True)

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_tour = self.fields["tour"]
        assert isinstance(field_tour, forms.ModelChoiceField)
        field_tour.queryset = site.tours.order_by("code")

    @staticmethod
    def initial_of(notice: Notice) -> dict[str, Any]:
        return {
            "tour": notice.tour_id,
            "kind": notice.kind,
            "text": notice.text,
            "text_en": notice.text_en,
            "order": notice.order,
            "active": notice.active,
        }

    def written(self) -> NoticeText:
        data = self.cleaned_data
        return NoticeText(
            kind=data["kind"],
            text=data["text"],
            text_en=data["text_en"],
            tour=data["tour"],
            order=data["order"],
            active=data["active"],
        )
