"""Evidence that leaves the case for other people: de-identified exports, and the audit log.

**De-identified sharing.** A partner agency gets the structure of a case (who owns, directs,
pays and ships to whom, with amounts, countries, dates and grades) without the identities of
the people in it. :func:`deidentify` turns the case's entities into pseudonymised copies:

* names of persons (every name property and name part), their identifiers (passport, tax and
  id numbers), birth places, addresses and personal web addresses become readable pseudonyms
  (``Person 7f3a2c1b``, ``ID-7f3a2c1b``, ``Place …``, ``Pseudonymous address …``); birth and death dates keep
  the year only;
* phones, e-mail addresses, bank account numbers and IBANs, and crypto wallet keys of *every*
  entity become pseudonyms that FollowTheMoney still accepts as values of their type (a
  partner's import would drop anything else): phones are numbers under the non-geographic
  calling code +808, e-mail domains end in the reserved ``.invalid``, and a pseudonym that
  would break a property's format (an IBAN's checksum) moves to the type's plain number
  property (``accountNumber``, ``idNumber``);
* every entity id becomes ``wb-`` and 16 hex digits, consistently wherever it is referenced
  (ids such as ``demo-own-veltsin-meridian`` carry names);
* free text anywhere (descriptions, reasons, purposes, company names) is searched for the
  names, addresses, phones, e-mails, accounts and ids above, and each is replaced by the same
  pseudonym it has elsewhere; names of persons known only from protected sources are scrubbed
  from text too, although those persons never leave the case;
* dates and places inside free text (remarks, notes, descriptions, summaries) are found too:
  a date of birth or death ("DOB 12 Oct 1972", "born 17/04/1961", or any date equal to a full
  life date in the case, found by dateparser in any common writing) keeps its year, and a birth
  place after "POB", "place of birth" or "born in" becomes the same pseudonym as the birth place;
* dates can be coarsened to the month or the year, in text as well (written in words or as ISO);
* what a partner never needs is dropped: special categories of personal data (ethnicity,
  religion, political views, appearance), passwords and private keys, IP addresses, raw JSON.

Companies' and organisations' names, registration numbers and websites, amounts, currencies,
countries, HS codes, vessels and the types of everything are kept. Protected sources never
leave: their values, and entities known only from them, are left out (``iter_entities`` with
``include_protected=False``), and so is a relationship that would point at such an entity.

A pseudonym is an HMAC-SHA256 of the value (its kind and normalised text) under a secret, so
the same value gets the same pseudonym in every entity and every export made with the same
key. The **key file** (:class:`SharingKey`) holds that secret and maps every pseudonym handed
out back to its original; it stays with the analyst, never with the export, and
:func:`reidentify` uses it to put the originals back into an export, or into anything a
partner sends back that quotes pseudonyms.

**The audit log.** :func:`audit_rows`, :func:`describe_audit_entry` and
:func:`write_audit_log` show and export the case's own hash-chained log of who did what when.

The package's modules: :mod:`~workbench.sharing.keys` (pseudonyms and the key file),
:mod:`~workbench.sharing.scrubbing` (what is personal, and free text),
:mod:`~workbench.sharing.deidentify` (the de-identified copy and its files),
:mod:`~workbench.sharing.reidentify` and :mod:`~workbench.sharing.audit`; every name is
importable from ``workbench.sharing`` itself.

No Qt here: this is data in, files out.
"""

from workbench.sharing.audit import (
    AUDIT_COLUMNS,
    AuditLogBroken,
    audit_rows,
    check_audit_log,
    describe_audit_entry,
    write_audit_log,
)
from workbench.sharing.deidentify import (
    LOSSES,
    DeidentifiedEntity,
    Deidentifier,
    SharingReport,
    deidentify,
    write_deidentified,
)
from workbench.sharing.keys import (
    COARSENINGS,
    KEY_FORMAT,
    KEY_VERSION,
    KINDS,
    PSEUDONYM_PATTERN,
    SHARE_FORMATS,
    SharingKey,
    SharingKeyError,
    default_key_path,
    key_beside_export,
    normalise,
)
from workbench.sharing.reidentify import ReidentifyReport, reidentify
from workbench.sharing.scrubbing import coarsen_date, find_dates, is_person_like

__all__ = [
    "AUDIT_COLUMNS", "COARSENINGS", "KEY_FORMAT", "KEY_VERSION", "KINDS", "LOSSES", "PSEUDONYM_PATTERN",
    "SHARE_FORMATS", "AuditLogBroken", "DeidentifiedEntity", "Deidentifier", "ReidentifyReport", "SharingKey",
    "SharingKeyError", "SharingReport", "audit_rows", "check_audit_log", "coarsen_date", "default_key_path",
    "deidentify", "describe_audit_entry", "find_dates", "is_person_like", "key_beside_export", "normalise",
    "reidentify", "write_audit_log", "write_deidentified",
]
