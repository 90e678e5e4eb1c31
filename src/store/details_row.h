/*
 * Private to src/store/: the columns of a customer's details and their one
 * reader, shared by store_details_get and the account page's statement that
 * reads the customer and its details together (customers.c).  The details
 * table is aliased d.
 */
#ifndef ONRAMP_STORE_DETAILS_ROW_H
#define ONRAMP_STORE_DETAILS_ROW_H

#include "onramp/store.h"

#define DETAIL_COLS \
	"d.legal_name, d.operating_name, d.support_name, d.support_email, d.support_phone, d.billing_name, " \
	"d.billing_email, d.billing_phone, d.technical_name, d.technical_email, d.technical_phone, " \
	"d.repository_notes, d.ai_preferences, d.workspace_preferences, DATE_FORMAT(d.target_launch, '%Y-%m-%d'), " \
	"d.version, d.updated_at, d.updated_by, d.ai_provider"

/** Read the DETAIL_COLS of the current row, the first at column col; all NULL reads as never saved. */
void store_details_read(db_stmt *s, unsigned col, arena *a, customer_details *o);

#endif
