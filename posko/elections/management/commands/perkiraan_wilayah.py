"""``posko perkiraan_wilayah``: build the maps' base layer (approximate kelurahan areas from
the TPS points) for the active election ahead of the first map view."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from posko.elections import areas
from posko.elections.models import Election


class Command(BaseCommand):
    help = ("Build the maps' base layer: approximate kelurahan areas and kecamatan outlines "
            "computed from the TPS coordinates of the active election (not official "
            "boundaries). Maps build it on first use too; run this after a TPS import.")

    def add_arguments(self, parser):
        parser.add_argument("--election", type=int, help="election id (default: the active one)")

    def handle(self, *args, election=None, **options):
        chosen = (Election.objects.filter(pk=election).first() if election
                  else Election.active())
        if chosen is None:
            raise CommandError(_("There is no active election yet."))
        key, data = areas.cached(chosen, rebuild=True)
        info = json.loads(data)["approximation"]
        self.stdout.write(_(
            "Approximate areas of %(kelurahan)s kelurahan from %(tps)s TPS with coordinates "
            "(%(missing)s kelurahan without TPS coordinates), %(size)s kB: %(path)s") % {
            "kelurahan": info["kelurahan"], "tps": info["tps"],
            "missing": info["kelurahan_without_points"], "size": round(len(data) / 1024),
            "path": areas.cache_file(chosen, key)})
