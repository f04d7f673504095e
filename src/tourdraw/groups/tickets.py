"""An approved group's ticket: one signed QR code for the whole group, shown on
its page once the member list is in. At the gate it opens the group's list;
each member is then checked in by the ID document they show
(``groups/services.py`` ``check_in_by_document``)."""

from tourdraw.groups.models import GroupVisit
from tourdraw.visits import signing, tickets


def has_code(group: GroupVisit) -> bool:
    """A group holds a code once approved and its member list is in."""
    return (
        group.state == GroupVisit.State.APPROVED
        and group.slot is not None
        and group.members.exists()
    )


def payload(group: GroupVisit) -> str:
    """The text in the group's QR code: signed, with no personal data and not
    the secret link of the group's page."""
    assert group.slot is not None, "only an approved group has a code"
    return signing.sign_group(group.pk, group.slot.pk, group.slot.visit_date, group.size)


def qr_svg(group: GroupVisit) -> str:
    return tickets.svg(payload(group))
