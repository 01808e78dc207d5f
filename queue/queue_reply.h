/* Reading the shapes of Redis replies the operations verbs meet: flat name/value arrays
 * (XINFO, HGETALL, stream entry fields) and numbers sent as integers or strings. */
#ifndef EXAM_QUEUE_REPLY_H
#define EXAM_QUEUE_REPLY_H

#include <hiredis/hiredis.h>

/* The value after `name` in a flat [name, value, name, value ...] array reply, or NULL when
 * absent or the reply is not an array. */
const redisReply *exam_reply_field(const redisReply *pairs, const char *name);

/* The value as a C string (status or string replies), or NULL (nil, numbers, arrays...). */
const char *exam_reply_str(const redisReply *v);

/* The value as an integer (integer replies, or strings holding one). Returns 0, or -1 when
 * v is NULL, nil or not a whole number; then *out is set to `fallback`. */
int exam_reply_ll(const redisReply *v, long long fallback, long long *out);

/* The value as a double (integers, or strings holding a number). Returns 0, or -1 (then *out
 * = fallback). */
int exam_reply_double(const redisReply *v, double fallback, double *out);

#endif
