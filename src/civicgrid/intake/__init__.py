"""Intake on every channel: the resident site, the hotline, grid patrol, the native API
and Open311. Every channel ends in ``service.receive``, which validates, locates and
hands the request to ``cases.actions.submit_case``."""
