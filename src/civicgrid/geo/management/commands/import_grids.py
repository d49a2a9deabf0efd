from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.geo.imports import GridImportError, PropertyNames, import_grids_file


class Command(BaseCommand):
    help = (
        "Import grid polygons from a GeoJSON FeatureCollection (WGS-84 lon/lat). "
        "All or nothing: a single bad feature refuses the whole file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--code-property", default="code")
        parser.add_argument("--name-property", default="name")
        parser.add_argument("--parent-property", default="parent")

    def handle(self, *args: Any, **options: Any) -> None:
        names = PropertyNames(
            code=options["code_property"],
            name=options["name_property"],
            parent=options["parent_property"],
        )
        try:
            result = import_grids_file(options["file"], names)
        except GridImportError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.created)} grids created, {len(result.updated)} updated."
            )
        )
