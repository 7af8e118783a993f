/*
 * util/json.h - writing JSON text: string literals from arbitrary bytes.
 * (Reading JSON is cJSON's job, in the ingest layer.)
 */
#ifndef UT_UTIL_JSON_H
#define UT_UTIL_JSON_H

#include <stddef.h>

#include "util/buf.h"

/*
 * Append s[0..len) as a JSON string literal: quotes and backslashes escaped,
 * \n \r \t as such, other control bytes and DEL as \u00XX, and every byte that
 * is not part of valid UTF-8 replaced by U+FFFD, so the output is always valid.
 * Errors stay in b's sticky error.
 */
void ut_json_string(struct ut_buf *b, const char *s, size_t len);

#endif /* UT_UTIL_JSON_H */
