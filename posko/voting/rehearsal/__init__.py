"""Gladi (rehearsal) of voting day: simulated devices replay a whole voting day through the
real field API (``POST /api/v1/voting/tps/<id>/report/`` and ``…/results/`` with an
``Idempotency-Key``), at a chosen speed, then the database is checked: every submission
sent is stored once (nothing lost, no retry stored twice). ``posko rehearse`` runs it.

Devices: one phone per TPS (the KPPS: set-up, opening with the officers present, voting,
problems, closing, counting, the C.Hasil per contest, corrections, done) and a witness's
phone for a share of the TPS (source ``saksi``, sometimes with other numbers). A device
sends its submissions in order, one at a time; ``clients`` threads serve the devices that
are due (bounded concurrency). Simulated behaviour, all drawn from ``seed``: some TPS open
late, some report problems, a share of C.Hasil entries misread (17 entered as 817) and
corrected later with a reason, retries with the same key after a lost answer (the answer
is thrown away as if the network timed out) and double taps, devices offline for a while
that queue their submissions and send them in a burst when the connection comes back.

The devices log in as rehearsal users ``gladi.<kelurahan code>`` (kelurahan operators of
their kelurahan, no password), created on first use, with a fresh API token each run; at
the end the tokens are deleted and the users deactivated, so no credential outlives the
run. The API writes to the active election only.
"""

from posko.voting.rehearsal.http import Client, percentile, run
from posko.voting.rehearsal.plan import (
    TAG,
    USER_PREFIX,
    Device,
    Options,
    RehearsalError,
    Stats,
    Submission,
    plan,
    tps_for,
)
from posko.voting.rehearsal.store import (
    device_tokens,
    existing,
    expected,
    misreads_left,
    reset,
    retire_devices,
    stored,
    waiting,
)

__all__ = ["TAG", "USER_PREFIX", "Client", "Device", "Options", "RehearsalError", "Stats",
           "Submission", "device_tokens", "existing", "expected", "misreads_left",
           "percentile", "plan", "reset", "retire_devices", "run", "stored", "tps_for",
           "waiting"]
