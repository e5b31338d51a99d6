"""One inbound SMS: logged, read, handed to the module that records it (through
core.field_commands), answered. All in one transaction: the log row, what was recorded and
the reply commit together; a refused report rolls back to a savepoint and only the log row
(with the refusal) stays. The gateway's message id is the idempotency key: the same id again
answers the stored reply and writes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from posko.core import clock, field_commands, jobs
from posko.core.field_commands import ResultsCommand, StatusCommand
from posko.elections.models import Contest, Tps, place_codes
from posko.sms import parser
from posko.sms.models import Kind, SmsMessage, Status
from posko.sms.phones import sender_user
from posko.sms.services import phones

SEND_JOB = "sms.send_reply"
MAX_REPLY = 459  # three concatenated SMS of 153 characters


@dataclass(frozen=True)
class Inbound:
    message_id: str
    sender: str
    text: str
    received_at: datetime.datetime | None = None


def _state_words() -> dict:
    return {"siap": _("set up"), "dibuka": _("opened"), "pemungutan": _("voting started"),
            "ditutup": _("closed"), "penghitungan": _("counting"), "selesai": _("done")}


def _contest_words() -> dict:
    return {"walikota": _("mayor"), "bupati": _("regent"), "gubernur": _("governor")}


def _place_at(msg, kelurahan_id=None, kecamatan_id=None) -> None:
    if kelurahan_id:
        msg.kelurahan_id = kelurahan_id
        msg.kecamatan_id, msg.kabkota_id = place_codes(kelurahan_id)
    elif kecamatan_id:
        msg.kelurahan_id, msg.kecamatan_id = None, kecamatan_id
        msg.kabkota_id = kecamatan_id.rsplit(".", 1)[0]


def _refuse(msg, status, text) -> None:
    msg.status, msg.reply = status, text


def _tps_label(tps) -> dict:
    return {"tps": f"{tps.number:03d}", "kelurahan": tps.kelurahan.name}


def _status_command(msg, sms, tps):
    if sms.time is None:
        happened = msg.received_at
    else:
        day = timezone.localtime(msg.received_at).date()
        happened = timezone.make_aware(datetime.datetime.combine(day, datetime.time(*sms.time)))
    return field_commands.STATUS, StatusCommand(tps=tps, state=sms.state, happened_at=happened)


def _contest(election, tps, level):
    province = tps.kabkota_id.split(".")[0]
    for contest in Contest.objects.filter(election=election, level=level).order_by("pk"):
        if contest.provinsi_id == province and contest.kabkota_id in (None, tps.kabkota_id):
            return contest
    return None


def _accepted_text(sms, tps, command, outcome) -> str:
    label = _tps_label(tps)
    if isinstance(sms, parser.StatusSms):
        when = timezone.localtime(command.happened_at).strftime("%H:%M")
        return _("Accepted: TPS %(tps)s Kel. %(kelurahan)s %(state)s %(time)s.") % {
            **label, "state": _state_words()[sms.state], "time": when}
    numbers = " ".join(f"{n}={v}" for n, v in sorted(sms.votes.items()))
    values = {**label, "contest": _contest_words()[sms.contest], "votes": numbers,
              "valid": sms.valid, "invalid": sms.invalid}
    if outcome.needs_verification:
        return _("Stored for verification: %(contest)s results TPS %(tps)s Kel. %(kelurahan)s. "
                 "%(problems)s") % {**values, "problems": " ".join(outcome.problems)}
    return _("Accepted: %(contest)s results TPS %(tps)s Kel. %(kelurahan)s: pairs %(votes)s, "
             "valid %(valid)s, invalid %(invalid)s.") % values


def _process(msg, election) -> None:
    user = sender_user(msg.sender)
    if user is None or not user.can_edit_registry:
        msg.user = user
        _refuse(msg, Status.UNKNOWN_SENDER, _(
            "Refused: this number is not registered for reports in Posko. Ask the Desk "
            "Pilkada to register it on your account."))
        return
    msg.user = user
    _place_at(msg, user.scope_kelurahan_id, user.scope_kecamatan_id)
    try:
        sms = parser.parse(msg.text)
    except parser.ParseError as error:
        _refuse(msg, Status.MALFORMED, _("Refused: %(error)s Example: %(example)s") % {
            "error": error, "example": parser.example()})
        return
    if isinstance(sms, parser.VerifySms):
        msg.kind = Kind.VERIFY
        if phones.verify(user, msg.sender, sms.code):
            msg.status, msg.reply = Status.ACCEPTED, _(
                "Accepted: this number is now verified for your reports in Posko.")
        else:
            _refuse(msg, Status.REFUSED, _(
                "Refused: the code is wrong or expired. Make a new one in Posko (SMS → My "
                "number) and send it within 30 minutes."))
        return
    if settings.POSKO_SMS_VERIFIED_PHONES and not phones.is_verified(user, msg.sender):
        _refuse(msg, Status.UNKNOWN_SENDER, _(
            "Refused: this number is not verified yet. Open Posko (SMS → My number), make a "
            "code and send DAFTAR <code> from this phone."))
        return
    msg.kind = Kind.STATUS if isinstance(sms, parser.StatusSms) else Kind.RESULTS
    if election is None:
        _refuse(msg, Status.REFUSED, _("Refused: there is no active election."))
        return
    msg.election = election
    tps = Tps.objects.visible_to(user).filter(
        election=election, kelurahan_id=sms.kelurahan, number=sms.tps) \
        .select_related("kelurahan").first()
    if tps is None:  # another region's TPS is "not found", like a 404
        _refuse(msg, Status.REFUSED, _(
            "Refused: TPS %(tps)s of kelurahan %(code)s is not one of your TPS.") % {
            "tps": f"{sms.tps:03d}", "code": sms.kelurahan})
        return
    tps.election = election
    msg.tps = tps
    _place_at(msg, tps.kelurahan_id)
    if isinstance(sms, parser.StatusSms):
        kind, command = _status_command(msg, sms, tps)
    else:
        contest = _contest(election, tps, sms.contest)
        if contest is None:
            _refuse(msg, Status.REFUSED, _("Refused: there is no %(contest)s contest at TPS "
                                           "%(tps)s Kel. %(kelurahan)s.") % {
                "contest": _contest_words()[sms.contest], **_tps_label(tps)})
            return
        kind = field_commands.RESULTS
        command = ResultsCommand(tps=tps, contest=contest, votes=sms.votes, valid=sms.valid,
                                 invalid=sms.invalid, voters=sms.voters, reason=sms.reason)
    if not field_commands.available(kind):
        _refuse(msg, Status.REFUSED, _("Refused: Posko does not take this report by SMS."))
        return
    savepoint = transaction.savepoint()
    outcome = field_commands.handle(kind, command, actor=user, election=election)
    if not outcome.accepted:
        transaction.savepoint_rollback(savepoint)  # nothing of the report is kept
        _refuse(msg, Status.REFUSED, _("Refused: %(problems)s") % {
            "problems": " ".join(outcome.problems) or _("you may not report for this TPS.")})
        return
    transaction.savepoint_commit(savepoint)
    msg.status = Status.VERIFICATION if outcome.needs_verification else Status.ACCEPTED
    msg.reply = _accepted_text(sms, tps, command, outcome)


def receive(inbound: Inbound, *, election, now=None) -> tuple[SmsMessage, bool]:
    """``(message, duplicate)``: the logged message with its reply; ``duplicate`` when the
    gateway's id was already logged (nothing written, the stored reply returned)."""
    stored = SmsMessage.objects.filter(message_id=inbound.message_id).first()
    if stored is not None:
        return stored, True
    now = now or clock.now()
    msg = SmsMessage(message_id=inbound.message_id, sender=(inbound.sender or "")[:40],
                     text=inbound.text or "", received_at=inbound.received_at or now,
                     logged_at=now)
    try:
        with transaction.atomic():
            msg.save()  # claims the id first: a twin waits here, then fails on the unique key
            with translation.override(settings.LANGUAGE_CODE):  # replies in the Pemda's language
                _process(msg, election)
            msg.reply = msg.reply[:MAX_REPLY]
            msg.save()
            if settings.POSKO_SMS_OUTBOUND_URL:
                jobs.enqueue(SEND_JOB, label=f"SMS reply {msg.pk}", params={"message": msg.pk})
    except IntegrityError:
        stored = SmsMessage.objects.filter(message_id=inbound.message_id).first()
        if stored is None:
            raise
        return stored, True
    return msg, False
