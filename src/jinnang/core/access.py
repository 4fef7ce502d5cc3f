"""Who may see and change what: the one access policy the API routes and playbook search call.

A rep sees their own data; a manager their team's and their own; CRM and admin everything.
Changing an account takes the same right as seeing it, so nobody writes into an account
they could not read. Search follows the same rule: the distilled playbook (talk tracks,
mined tips) is company knowledge, while a raw visit note or feedback form is shown in full
only to those who may see its rep's data; everyone else gets an anonymised hit.

    viewer = Viewer(role="rep", subject="rep-07")
    viewer.may_see_rep("rep-08")              # False
    viewer.sees_note("visit_note", "rep-08")  # False: the hit is anonymised
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES_SEEING_ALL = frozenset({"admin", "crm"})

# kinds written by a rep about one customer; anything else indexed is company knowledge
RAW_NOTE_KINDS = frozenset({"visit_note", "trial_feedback"})

# meta that says whose document it is and about which customer
OWNER_META_KEYS = frozenset({"hospital", "account_id", "rep", "source"})

# what a caller who may not see a raw note still gets of its meta: the labels search filters on
SHAREABLE_NOTE_META_KEYS = frozenset({"product_line", "department", "journey_node", "outcome", "objection_category"})


@dataclass(frozen=True)
class Viewer:
    role: str
    subject: str  # rep id for a rep, manager id for a manager
    team: frozenset[str] = field(default_factory=frozenset)  # rep ids a manager may see

    @property
    def sees_all(self) -> bool:
        return self.role in ROLES_SEEING_ALL

    def may_see_rep(self, rep_id: str | None) -> bool:
        """Whether the data of `rep_id` (a document, a record, an account) is visible; data of no rep
        is visible only to those who see everything."""
        if self.sees_all:
            return True
        if rep_id is None:
            return False
        if self.role == "manager":
            return rep_id in self.team or rep_id == self.subject
        return rep_id == self.subject

    def may_change_account(self, account_rep_id: str | None) -> bool:
        """Writing to an account (a move, evidence, a signing date, a filed note) takes the right to read it."""
        return self.may_see_rep(account_rep_id)

    def may_file_for(self, rep_id: str) -> bool:
        """Whether a document may be filed in `rep_id`'s name: a rep only their own, a manager their team's."""
        return self.may_see_rep(rep_id)

    def may_open_original(self, rep_id: str | None) -> bool:
        """The uploaded file keeps patients' identifiers: only its rep, that rep's manager and the
        admin (who answers data subjects' requests) may open it; the CRM never."""
        if self.role == "crm":
            return False
        return self.role == "admin" or self.may_see_rep(rep_id)

    def may_delete_document(self, rep_id: str | None) -> bool:
        """Erasing a document is its rep's manager's decision (or the admin's); a rep asks their manager."""
        return self.role in ("manager", "admin") and self.may_see_rep(rep_id)

    def visible_reps(self) -> set[str] | None:
        """The reps whose data this viewer sees, or None for everyone's."""
        return None if self.sees_all else set(self.team) | {self.subject}

    def sees_note(self, kind: str, rep_id: str | None) -> bool:
        """Whether a search hit of this kind, filed by `rep_id`, is shown in full."""
        return kind not in RAW_NOTE_KINDS or self.may_see_rep(rep_id)


def shared_meta(kind: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The meta of someone else's document as others may see it: never whose it is or which customer;
    of a raw note only the labels search filters on."""
    if kind in RAW_NOTE_KINDS:
        return {k: v for k, v in meta.items() if k in SHAREABLE_NOTE_META_KEYS}
    return {k: v for k, v in meta.items() if k not in OWNER_META_KEYS}
