from django import forms
from django.utils.translation import gettext_lazy as _

from tourdraw.people.documents import DOCUMENT_TYPE_CHOICES
from tourdraw.web.forms import DomainErrorsMixin


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
