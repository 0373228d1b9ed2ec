/*
 * json.h: write JSON strings correctly escaped (quotes, backslashes, control characters,
 * invalid UTF-8 replaced by U+FFFD) into a buffer.
 */
#ifndef GRADER_JSON_H
#define GRADER_JSON_H

#include "util.h"

void json_string(struct buf *b, const char *s);
void json_number(struct buf *b, double v);
/* "key": "value" and "key": number, with a leading comma when FIRST is 0. */
void json_kv_str(struct buf *b, int first, const char *key, const char *value);
void json_kv_num(struct buf *b, int first, const char *key, double value);

#endif
