/*
 * What an audit row says about an edit (src/domain/audit_diff.c): the fields
 * that changed, each with its value before and after, and the redaction of
 * sensitive fields.  Every write path's audit row goes through here (via
 * api_audit), so which fields are compared, hidden or dropped is written once.
 */
#ifndef ONRAMP_AUDIT_DIFF_H
#define ONRAMP_AUDIT_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "onramp/str.h"

/** Stored in place of a redacted field's value before the change. */
#define AUDIT_REDACTED_BEFORE "[redacted]"
/** Stored in place of a redacted field's value after the change: the audit says only "changed". */
#define AUDIT_REDACTED_AFTER "[changed]"

/**
 * The changed fields of an edit by action: *ob and *oa (new objects, the
 * caller puts them) hold only the fields whose values differ, nested objects
 * flattened to dotted paths ("billing_contact.email"); bookkeeping members
 * (version, updated_at...) are not compared; redacted fields hold the two
 * markers above, long strings are cut to LIMIT_AUDIT_VALUE bytes.  Returns
 * the number of changed fields; 0 leaves *ob and *oa NULL (a no-op save).
 */
size_t audit_diff(const char *action, json_object *before, json_object *after, json_object **ob, json_object **oa);

/** True when field (a top-level key or dotted path) of action is never shown by value. */
bool audit_field_redacted(const char *action, const char *field);

/**
 * A copy of an event's object (no before to compare with) with every
 * redacted top-level member replaced by AUDIT_REDACTED_AFTER; NULL for NULL.
 */
json_object *audit_redact(const char *action, json_object *o);

/**
 * The per-field changes of a stored entry, for readers: an array of
 * {field, before, after} or {field, redacted: true}, in field order; an
 * empty array when the entry is an event (before or after missing).
 */
json_object *audit_changes(const char *action, json_object *before, json_object *after);

/**
 * The readable line of a changes array (audit_changes): "field: before →
 * after; field: changed", values as JSON text except strings; "" for none.
 * The caller frees the result (malloc); NULL when out of memory.
 */
char *audit_changes_text(json_object *changes);

/**
 * Append s (n bytes) as one CSV cell (RFC 4180): always quoted, quotes
 * doubled; a cell starting with = + - @ tab or CR gets a leading ' so a
 * spreadsheet shows it as text instead of running it as a formula.
 */
or_status audit_csv_cell(or_buf *b, const char *s, size_t n);

#endif
