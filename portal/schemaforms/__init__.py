"""JSON-Schema forms: the start forms and task forms of every BPMN process.

A form `<key>` is `FORMS_DIR/<key>.schema.json` (JSON Schema 2020-12) plus an optional
`FORMS_DIR/<key>.ui.json` with presentation hints. Modules:

- `loader`: `load_form`, `form_catalogue_check` (cached, checked at load); `hardening`:
  the implicit limits every form gets (text length, no unknown fields).
- `validation`: `validate` and `validate_post`, the one entry point of both paths.
- `formats`: the JSON Schema format checkers (Peru's numbers from portal.core.identity).
- `registry`: named domain validators (`register_validator`, `"x-validator"`).
- `messages`: Spanish messages per keyword and the schema's `x-messages`.
- `coercion`: `coerce_post`, typed data from an HTML POST.
- `files`: upload rules (types sniffed by content, sizes, names).
- `services`: `document_store`, `attach_uploads` (the writes); `selectors`: documents by id.
- `submission`: `read_submission`, what a service calls to read a JSON object or a `FormPost` once.
- `rendering`: `render_form` (Bootstrap 5, accessible, escaped).
- `timeline`: `timeline_text`, the case timeline's phrase for a submitted form.

Imports go one way: models, schema, context, registry, selectors → formats, files, services → loader →
messages, coercion, timeline → validation, rendering → submission (no module imports one above it).
"""
