"""JSON-Schema forms: the start forms and task forms of every BPMN process.

A form `<key>` is `FORMS_DIR/<key>.schema.json` (JSON Schema 2020-12) plus an optional
`FORMS_DIR/<key>.ui.json` with presentation hints. Modules:

- `loader`: `load_form`, `form_catalogue_check` (cached, checked at load).
- `validation`: `validate`, `coerce_post`, `validate_post`, Peru formats, domain validators.
- `files`: `Document` uploads sniffed by content (`store_upload`, `attach_uploads`).
- `rendering`: `render_form` (Bootstrap 5, accessible, escaped), `timeline_text`.
"""
