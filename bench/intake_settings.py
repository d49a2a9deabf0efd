"""civicgrid's settings with bench/intake_urls.py's bare endpoint, for bench/intake.py."""

from civicgrid.settings import *  # noqa: F403

ROOT_URLCONF = "intake_urls"
DEBUG = False
