"""Officer pages, one module per page family: inbox, task, start, case, mine, admin.

Views are thin: `access` decides who sees what (NotVisible → 404, NotAllowed → 403),
one `services` call writes (and reads the submission), `selectors` and `timeline` read,
`presenters` decorate. Every write answers a plain POST with a redirect, so the pages
work without JavaScript; htmx requests get partials instead.
"""
