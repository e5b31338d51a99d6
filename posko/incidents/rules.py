"""Rule functions of reports, pledges and neutrality cases: each returns [(field, message)]."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from posko.accounts.models import Role
from posko.core import clock
from posko.elections.models import place_codes
from posko.incidents.models import (
    NeutralityCase,
    Pledge,
    ProhibitedAct,
    Report,
    State,
)
from posko.regions.models import Pemda

# --- rules (each returns [(field, message)]) -----------------------------------------------------

def derive_place(report: Report) -> list[tuple[str, str]]:
    problems = []
    if report.tps_id:
        tps = report.tps
        if report.kelurahan_id and report.kelurahan_id != tps.kelurahan_id:
            problems.append(("tps", _("This TPS is not in the chosen kelurahan.")))
        else:
            report.kelurahan_id = tps.kelurahan_id
    if report.kelurahan_id:
        kecamatan = place_codes(report.kelurahan_id)[0]
        if report.kecamatan_id and report.kecamatan_id != kecamatan:
            problems.append(("kelurahan", _("This kelurahan is not in the chosen kecamatan.")))
        else:
            report.kecamatan_id = kecamatan
    if not report.kecamatan_id:
        problems.append(("kelurahan", _("Say where it happened: a TPS, a kelurahan or a "
                                        "kecamatan.")))
    else:
        report.kabkota_id = report.kecamatan_id.rsplit(".", 1)[0]
    return problems


def check_inside_pemda(report: Report) -> list[tuple[str, str]]:
    pemda = Pemda.current()
    if report.kecamatan_id and (pemda is None or not report.kecamatan_id.startswith(f"{pemda.code}.")):
        return [("kelurahan", _("This place is outside the Pemda: reports can only be made "
                                "about places inside it."))]
    return []


def check_tps_election(report: Report) -> list[tuple[str, str]]:
    if report.tps_id and report.tps.election_id != report.election_id:
        return [("tps", _("This TPS belongs to another election."))]
    return []


def check_point(report: Report) -> list[tuple[str, str]]:
    lat, lon = report.latitude, report.longitude
    if (lat is None) != (lon is None):
        return [("latitude", _("Give both latitude and longitude, or neither."))]
    if lat is not None and not (Decimal(-11) <= Decimal(lat) <= Decimal(6)
                                and Decimal(95) <= Decimal(lon) <= Decimal(141)):
        return [("latitude", _("This point is not in Indonesia."))]
    return []


def check_actor_region(report: Report, actor) -> list[tuple[str, str]]:
    role = getattr(actor, "effective_role", None)
    if role == Role.KELURAHAN and report.kelurahan_id != actor.kelurahan_id:
        return [("kelurahan", _("You can report only about your own kelurahan or one of its "
                                "TPS."))]
    if role == Role.KECAMATAN and report.kecamatan_id != actor.kecamatan_id:
        return [("kelurahan", _("You can report only about places inside your own kecamatan."))]
    return []


def check_text(report: Report) -> list[tuple[str, str]]:
    problems = []
    if not (report.title or "").strip():
        problems.append(("title", _("Give the report a short title.")))
    if len((report.description or "").strip()) < 10:
        problems.append(("description", _("Describe what happened (at least 10 characters).")))
    return problems


def check_time(report: Report, now=None) -> list[tuple[str, str]]:
    now = now or clock.now()
    if report.occurred_at and report.occurred_at > now + datetime.timedelta(minutes=10):
        return [("occurred_at", _("The time it happened cannot be in the future."))]
    return []


def check_category(report: Report) -> list[tuple[str, str]]:
    if not report.category_id:
        return [("category", _("Choose a category."))]
    if not report.category.is_active:
        return [("category", _("This category is no longer used."))]
    return []


def report_problems(report: Report, actor=None, now=None) -> list[tuple[str, str]]:
    problems = derive_place(report)
    if not problems:
        problems += check_inside_pemda(report)
        if actor is not None and not problems:
            problems += check_actor_region(report, actor)
    problems += check_tps_election(report)
    problems += check_point(report)
    problems += check_text(report)
    problems += check_time(report, now)
    problems += check_category(report)
    return problems


def transition_problems(report: Report, state: str, *, note: str, agency=None,
                        forwarded_to: str = "", assignee=None) -> list[tuple[str, str]]:
    """What a move to ``state`` needs: a reason to reject, a resolution to close, an agency or
    an outside body to forward to; the person must work for the chosen agency."""
    problems = []
    if state == State.DITOLAK and not note:
        problems.append(("note", _("Say why the report is rejected.")))
    if state == State.SELESAI and not note:
        problems.append(("note", _("Say how the report was resolved.")))
    if state == State.DITERUSKAN and not (agency or forwarded_to or report.agency_id):
        problems.append(("agency", _("Choose the agency or the outside body the report is "
                                     "forwarded to.")))
    if assignee is not None and agency is not None and assignee.agency_id not in (None, agency.pk):
        problems.append(("assignee", _("This person does not work for the chosen agency.")))
    return problems


# --- pledges ----------------------------------------------------------------------------------------

def pledge_problems(pledge: Pledge) -> list[tuple[str, str]]:
    problems = []
    if pledge.asn_total is None or pledge.asn_total < 0:
        problems.append(("asn_total", _("Give the number of ASN in the agency.")))
    elif pledge.asn_covered is not None and pledge.asn_covered > pledge.asn_total:
        problems.append(("asn_covered", _(
            "The pledge cannot cover more ASN (%(covered)s) than the agency has (%(total)s).") % {
            "covered": pledge.asn_covered, "total": pledge.asn_total}))
    if pledge.signed_on and not (pledge.signatory or "").strip():
        problems.append(("signatory", _("Say who signed the pledge.")))
    if pledge.asn_covered and not pledge.signed_on:
        problems.append(("signed_on", _("Give the date the pledge was signed.")))
    if pledge.signed_on and pledge.signed_on > clock.today():
        problems.append(("signed_on", _("The signing date cannot be in the future.")))
    return problems


# --- neutrality cases --------------------------------------------------------------------------------

MORAL = (NeutralityCase.Sanction.MORAL_TERTUTUP, NeutralityCase.Sanction.MORAL_TERBUKA)
DISCIPLINE = (NeutralityCase.Sanction.DISIPLIN_SEDANG, NeutralityCase.Sanction.DISIPLIN_BERAT,
              NeutralityCase.Sanction.PTDH)


def case_problems(case: NeutralityCase) -> list[tuple[str, str]]:
    problems = []
    S, B = NeutralityCase.Sanction, NeutralityCase.BreachType
    if not (case.asn_name or "").strip():
        problems.append(("asn_name", _("Give the name of the ASN.")))
    problems += case_act_problems(case)
    problems += case_place_problems(case)
    if case.sanction in DISCIPLINE and case.breach_type == B.KODE_ETIK:
        problems.append(("sanction", _(
            "A code-of-ethics breach brings a moral sanction, not a disciplinary penalty "
            "(SKB of 22 Sep 2022).")))
    if case.sanction in MORAL and case.breach_type == B.DISIPLIN:
        problems.append(("sanction", _(
            "A disciplinary breach brings a medium or heavy disciplinary penalty, not a moral "
            "sanction (SKB of 22 Sep 2022).")))
    if case.sanction and case.sanction != S.TIDAK_TERBUKTI and not case.sanction_date:
        problems.append(("sanction_date", _("Give the date the sanction was imposed.")))
    if case.sanction_date and not case.sanction:
        problems.append(("sanction", _("Choose the sanction imposed on that date.")))
    if case.recommendation_date and not (case.bawaslu_recommendation or "").strip():
        problems.append(("bawaslu_recommendation", _("Write Bawaslu's recommendation.")))
    if (case.referred_bkn_on and case.recommendation_date
            and case.referred_bkn_on < case.recommendation_date):
        problems.append(("referred_bkn_on", _("The referral cannot be before the recommendation.")))
    if case.sanction_date and case.sanction_date < case.occurred_on:
        problems.append(("sanction_date", _("The sanction cannot be before the act.")))
    if case.occurred_on and case.occurred_on > clock.today():
        problems.append(("occurred_on", _("The date cannot be in the future.")))
    return problems


def case_act_problems(case: NeutralityCase) -> list[tuple[str, str]]:
    """A new case names its act of the catalogue (a case from before the catalogue may stay
    without one); the case's type of breach follows the act; a sanction lighter than the act's
    minimum needs a reason (a reason is kept only with a lighter sanction)."""
    act = case.prohibited_act if case.prohibited_act_id else None
    if act is None:
        case.lighter_sanction_reason = ""
        if case.pk is None:
            return [("prohibited_act", _("Choose the act of the joint decree the ASN is "
                                         "suspected of."))]
        return []
    problems = []
    if act.election_id != case.election_id:
        problems.append(("prohibited_act", _("This act belongs to another election's "
                                             "catalogue.")))
    if not case.breach_type:
        case.breach_type = act.breach_type
    elif case.breach_type != act.breach_type:
        problems.append(("breach_type", _(
            "The act %(code)s is a %(type)s: choose that type or another act.") % {
            "code": act.code, "type": NeutralityCase.BreachType(act.breach_type).label.lower()}))
    other_family = case.breach_type == NeutralityCase.BreachType.DISIPLIN and case.sanction in MORAL
    if case.sanction_is_lighter and not other_family:  # the other family: case_problems says so
        if not (case.lighter_sanction_reason or "").strip():
            problems.append(("sanction", _(
                "The act %(code)s (%(act)s) carries at least: %(minimum)s. A lighter sanction "
                "needs a reason.") % {
                "code": act.code, "act": act.description,
                "minimum": NeutralityCase.Sanction(act.minimum_sanction).label}))
    else:
        case.lighter_sanction_reason = ""
    return problems


def case_place_problems(case: NeutralityCase) -> list[tuple[str, str]]:
    """The office's kelurahan sets its kecamatan."""
    if case.kelurahan_id:
        kecamatan = place_codes(case.kelurahan_id)[0]
        if case.kecamatan_id and case.kecamatan_id != kecamatan:
            return [("kelurahan", _("This kelurahan is not in the chosen kecamatan."))]
        case.kecamatan_id = kecamatan
    return []


# --- the act catalogue ------------------------------------------------------------------------------

LOCKED_ACT_FIELDS = ("code", "breach_type", "severity")


def act_problems(act: ProhibitedAct, before: dict | None = None) -> list[tuple[str, str]]:
    """Code and description are needed; the code is unique in the election; once a case names
    the act, its code, type and severity stay (retire it and add a new act instead)."""
    problems = []
    act.code = (act.code or "").strip().upper()
    if not act.code:
        problems.append(("code", _("Give the act a code.")))
    elif ProhibitedAct.objects.filter(election_id=act.election_id, code=act.code).exclude(
            pk=act.pk).exists():
        problems.append(("code", _("Another act of this election has the code %(code)s.") % {
            "code": act.code}))
    if not (act.description or "").strip():
        problems.append(("description", _("Describe the act.")))
    if act.pk and before:
        changed = [name for name in LOCKED_ACT_FIELDS if before.get(name) != getattr(act, name)]
        used = changed and NeutralityCase.objects.filter(prohibited_act_id=act.pk).count()
        if used:
            problems.append((changed[0], _(
                "%(n)s case(s) name this act: its code, type and severity cannot change. Retire "
                "it (not in use) and add a new act instead.") % {"n": used}))
    return problems
