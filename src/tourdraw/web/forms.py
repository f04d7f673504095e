from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tourdraw.catalog.models import Tour
from tourdraw.errors import DomainError
from tourdraw.lottery.entries import CompanionInput
from tourdraw.people.documents import DOCUMENT_TYPE_CHOICES

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DomainErrorsMixin:
    """Put a service's errors next to the inputs they are about."""

    field_map: dict[str, str] = {}

    def add_domain_errors(self, errors: list[DomainError]) -> None:
        for error in errors:
            name = self.form_field_for(error.field)
            self.add_error(name if name in self.fields else None, str(error.message))  # type: ignore[attr-defined]  # a mixin: Form gives add_error

    def form_field_for(self, service_field: str) -> str:
        return self.field_map.get(service_field, service_field)


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


# The address is checked by the service (people.email_address), whose message
# says what a whole address looks like.
EMAIL_INPUT = forms.EmailInput(attrs={"autocomplete": "email", "maxlength": 254})


class EmailForm(DomainErrorsMixin, forms.Form):
    email = forms.CharField(
        label=_("E-mail address"),
        required=False,
        widget=EMAIL_INPUT,
        help_text=_(
            "Optional. Every message we text you is then e-mailed too. Leave it empty to "
            "remove your address."
        ),
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has six digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class ProfileForm(DomainErrorsMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name (as on the ID document)"), max_length=100)
    id_type = forms.ChoiceField(label=_("ID document"), choices=DOCUMENT_TYPE_CHOICES)
    id_number = forms.CharField(
        label=_("ID number"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=DATE_INPUT,
        help_text=_("Not needed for a mainland resident ID: it is read from the number."),
    )


class ConsentForm(DomainErrorsMixin, forms.Form):
    """The privacy notice and the separate consent, asked until the current
    version is accepted (people/consent.py)."""

    version = forms.CharField(widget=forms.HiddenInput)
    accept_notice = forms.BooleanField(label=_("I have read the privacy notice."), required=False)
    accept_sensitive = forms.BooleanField(
        label=_(
            "I agree that my ID documents and those of the people I bring, which are "
            "sensitive personal information, are processed as the notice says."
        ),
        required=False,
    )


class NameForm(DomainErrorsMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name (as on the ID document)"), max_length=100)


class EntryForm(DomainErrorsMixin, forms.Form):
    """Ranked slot choices and the companions, sized by the tour's limits."""

    def __init__(
        self, *args: Any, tour: Tour, slot_labels: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tour = tour
        self.companion_blocks: list[int] = []
        slot_choices = [("", _("— none —")), *((str(pk), label) for pk, label in slot_labels)]
        for rank in range(1, tour.max_choices + 1):
            self.fields[f"choice_{rank}"] = forms.TypedChoiceField(
                label=_("Choice %(rank)d") % {"rank": rank},
                choices=slot_choices,
                coerce=int,
                required=False,
                empty_value=None,
            )
        for index in range(tour.max_companions):
            number = index + 1
            self.fields[f"companion_{index}_full_name"] = forms.CharField(
                label=_("Companion %(number)d: full name") % {"number": number},
                max_length=100,
                required=False,
            )
            self.fields[f"companion_{index}_id_type"] = forms.ChoiceField(
                label=_("ID document"), choices=DOCUMENT_TYPE_CHOICES, required=False
            )
            self.fields[f"companion_{index}_id_number"] = forms.CharField(
                label=_("ID number"),
                max_length=40,
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
            self.fields[f"companion_{index}_birth_date"] = forms.DateField(
                label=_("Date of birth"), required=False, widget=DATE_INPUT
            )
            self.fields[f"companion_{index}_guardian"] = forms.BooleanField(
                label=_(
                    "If under 14: I am this child's guardian, or have the guardian's consent "
                    "to give their personal data."
                ),
                required=False,
            )
            # A saved person from the visitor's earlier entry: the ID number is
            # shown masked and need not be typed again.
            self.fields[f"companion_{index}_person"] = forms.IntegerField(
                required=False, widget=forms.HiddenInput
            )

    def form_field_for(self, service_field: str) -> str:
        parts = service_field.split(".")
        if parts[0] == "choices":
            return f"choice_{int(parts[1]) + 1}" if len(parts) > 1 else "choice_1"
        if parts[0] == "companions" and len(parts) == 3:
            block = self.companion_blocks[int(parts[1])]
            return f"companion_{block}_{parts[2]}"
        return ""

    def companion_groups(self) -> list[list[forms.BoundField]]:
        return [
            [
                self[f"companion_{index}_{name}"]
                for name in ("full_name", "id_type", "id_number", "birth_date", "guardian")
            ]
            for index in range(self.tour.max_companions)
        ]

    def choice_fields(self) -> list[forms.BoundField]:
        return [self[f"choice_{rank}"] for rank in range(1, self.tour.max_choices + 1)]

    def chosen_slot_ids(self) -> list[int]:
        return [
            self.cleaned_data[f"choice_{rank}"]
            for rank in range(1, self.tour.max_choices + 1)
            if self.cleaned_data.get(f"choice_{rank}") is not None
        ]

    def companions(self) -> list[CompanionInput]:
        """Companions in the order typed; a block left wholly empty is no companion."""
        result = []
        self.companion_blocks = []
        for index in range(self.tour.max_companions):
            name = self.cleaned_data.get(f"companion_{index}_full_name", "")
            number = self.cleaned_data.get(f"companion_{index}_id_number", "")
            birth_date = self.cleaned_data.get(f"companion_{index}_birth_date")
            person_id = self.cleaned_data.get(f"companion_{index}_person")
            if not (name or number or birth_date):
                continue
            self.companion_blocks.append(index)
            result.append(
                CompanionInput(
                    full_name=name,
                    id_type=self.cleaned_data.get(f"companion_{index}_id_type") or "cn_resident",
                    id_number=number,
                    birth_date=birth_date,
                    person_id=person_id,
                    guardian=bool(self.cleaned_data.get(f"companion_{index}_guardian")),
                )
            )
        return result


class LeftoverClaimForm(EntryForm):
    """A claim of leftover places: the companions, as on an entry, and the visit
    rules accepted; the session is the page's own, so there is nothing to rank."""

    def __init__(self, *args: Any, tour: Tour, **kwargs: Any) -> None:
        super().__init__(*args, tour=tour, slot_labels=[], **kwargs)
        for rank in range(1, tour.max_choices + 1):
            del self.fields[f"choice_{rank}"]
        self.fields["accept_rules"] = forms.BooleanField(
            label=_(
                "I accept the visit rules: phones sealed in pouches, no photography in the "
                "workshops, an ID document for every person."
            ),
            required=False,
        )

    def form_field_for(self, service_field: str) -> str:
        if service_field == "rules":
            return "accept_rules"
        return super().form_field_for(service_field)


class GroupRequestForm(DomainErrorsMixin, forms.Form):
    organisation = forms.CharField(label=_("Organisation"), max_length=200)
    contact_name = forms.CharField(label=_("Contact person"), max_length=100)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=32)
    contact_email = forms.CharField(label=_("Contact email"), required=False, widget=EMAIL_INPUT)
    size = forms.IntegerField(label=_("Group size (persons)"), min_value=1)
    preferred_dates = forms.CharField(label=_("Preferred dates"), max_length=300)
    purpose = forms.CharField(
        label=_("Purpose of the visit"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, site: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["size"].widget.attrs["max"] = site.group_size_limit
        self.fields["size"].help_text = _("At most %(limit)d persons.") % {
            "limit": site.group_size_limit
        }
