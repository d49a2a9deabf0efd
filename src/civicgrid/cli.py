"""The ``civicgrid`` command: Django's management commands under friendlier names.

civicgrid serve [--host 127.0.0.1] [--port 8000]   migrate, then serve (waitress)
civicgrid demo [--seed N] [--scale F]              generate the demo district
civicgrid import-grids FILE.geojson                grids from GeoJSON, all or nothing
civicgrid indicators-doc docs/indicators.md        the indicators' definitions into the doc
civicgrid rankings show|publish|correct|export MONTH …  the monthly rankings (月度榜单)
civicgrid conventions import|export|scores|template …  conventions (公约) and scores in Excel
civicgrid roster export --unit CODE --week DATE   a roster week as .xlsx (下沉轮值)
civicgrid notify [--send-now] [--retry-failed]     the outbox's round now; its counts
civicgrid notify-receiver --secret S [--port 8025] a webhook receiver to try a gateway setup
civicgrid working-seconds                          cases' working seconds (calendar changed)
civicgrid words [--check]                          cases' words for the search (after an upgrade)
civicgrid migrate | createsuperuser | shell | …     any Django management command
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "import-grids": "import_grids",
    "indicators-doc": "indicators_doc",
    "notify-receiver": "notify_receiver",
    "working-seconds": "working_seconds",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    if len(argv) > 1:
        argv[1] = ALIASES.get(argv[1], argv[1])
    argv[0] = "civicgrid"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
