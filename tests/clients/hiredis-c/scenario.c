/* The client matrix's scenario through hiredis (Debian's libhiredis-dev,
 * which speaks RESP2):
 *
 *   scenario <port> [password]
 *
 * Prints "ok resp=N" and exits 0, or prints what failed and exits 1. */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port;
static const char* password;

static void fail(const char* what, const redisReply* reply) {
  printf("FAILED: %s", what);
  if (reply) printf(" (reply type %d: %s)", reply->type, reply->str ? reply->str : "");
  printf("\n");
  exit(1);
}

static redisContext* connect_to(const char* pass) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (!c || c->err) fail("connect", NULL);
  if (pass) {
    redisReply* r = redisCommand(c, "AUTH %s", pass);
    if (!r || r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0) fail("AUTH", r);
    freeReplyObject(r);
  }
  return c;
}

/* Runs a command and checks its reply type (and text, if given). */
static redisReply* expect(redisContext* c, int type, const char* text, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  redisReply* r = redisvCommand(c, format, ap);
  va_end(ap);
  if (!r) fail(format, NULL);
  if (r->type != type) fail(format, r);
  if (text && (!r->str || strcmp(r->str, text) != 0)) fail(format, r);
  return r;
}

static void expect_free(redisContext* c, int type, const char* text, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  redisReply* r = redisvCommand(c, format, ap);
  va_end(ap);
  if (!r) fail(format, NULL);
  if (r->type != type || (text && (!r->str || strcmp(r->str, text) != 0))) fail(format, r);
  freeReplyObject(r);
}

static void expect_integer(redisContext* c, long long value, const char* format, const char* key) {
  redisReply* r = redisCommand(c, format, key);
  if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != value) fail(format, r);
  freeReplyObject(r);
}

static void auth_checks(void) {
  redisContext* anonymous = connect_to(NULL);
  expect_free(anonymous, REDIS_REPLY_ERROR, "NOAUTH Authentication required.", "GET greeting");
  expect_free(anonymous, REDIS_REPLY_ERROR,
              "WRONGPASS invalid username-password pair or user is disabled.", "AUTH %s",
              "wrong-password");
  expect_free(anonymous, REDIS_REPLY_STATUS, "OK", "AUTH %s %s", "default", password);
  expect_free(anonymous, REDIS_REPLY_STATUS, "PONG", "PING");
  redisFree(anonymous);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: scenario <port> [password]\n");
    return 2;
  }
  port = atoi(argv[1]);
  password = argc > 2 ? argv[2] : NULL;
  if (password) auth_checks();

  redisContext* c = connect_to(password);
  redisContext* other = connect_to(password);
  redisReply* info = expect(c, REDIS_REPLY_STRING, NULL, "CLIENT INFO");
  const char* resp = strstr(info->str, " resp=");
  int protocol = resp ? atoi(resp + 6) : 0;
  freeReplyObject(info);
  expect_free(c, REDIS_REPLY_STATUS, "OK", "FLUSHALL");

  expect_free(c, REDIS_REPLY_STATUS, "OK", "SET %s %s EX %d", "greeting", "hello", 100);
  redisReply* r = expect(c, REDIS_REPLY_INTEGER, NULL, "TTL %s", "greeting");
  if (r->integer <= 0 || r->integer > 100) fail("TTL greeting", r);
  freeReplyObject(r);
  expect_free(c, REDIS_REPLY_STRING, "hello", "GET %s", "greeting");
  r = expect(c, REDIS_REPLY_ARRAY, NULL, "MGET %s %s", "greeting", "missing");
  if (r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
      strcmp(r->element[0]->str, "hello") != 0 || r->element[1]->type != REDIS_REPLY_NIL) {
    fail("MGET", r);
  }
  freeReplyObject(r);

  /* A pipeline: 100 SETs then 100 GETs, written at once, read in order. */
  for (int i = 0; i < 100; i++) redisAppendCommand(c, "SET pipe:%d %d", i, i);
  for (int i = 0; i < 100; i++) redisAppendCommand(c, "GET pipe:%d", i);
  for (int i = 0; i < 200; i++) {
    char want[16];
    snprintf(want, sizeof want, "%d", i - 100);
    if (redisGetReply(c, (void**)&r) != REDIS_OK) fail("pipeline read", NULL);
    if (i < 100 ? (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0)
                : (r->type != REDIS_REPLY_STRING || strcmp(r->str, want) != 0)) {
      fail("pipeline reply", r);
    }
    freeReplyObject(r);
  }

  /* MULTI/EXEC. */
  expect_free(c, REDIS_REPLY_STATUS, "OK", "MULTI");
  expect_free(c, REDIS_REPLY_STATUS, "QUEUED", "INCR tx:counter");
  expect_free(c, REDIS_REPLY_STATUS, "QUEUED", "INCR tx:counter");
  expect_free(c, REDIS_REPLY_STATUS, "QUEUED", "SET tx:key v");
  r = expect(c, REDIS_REPLY_ARRAY, NULL, "EXEC");
  if (r->elements != 3 || r->element[0]->integer != 1 || r->element[1]->integer != 2 ||
      r->element[2]->type != REDIS_REPLY_STATUS) {
    fail("EXEC", r);
  }
  freeReplyObject(r);

  /* WATCH conflict. */
  expect_free(c, REDIS_REPLY_STATUS, "OK", "SET watched original");
  expect_free(c, REDIS_REPLY_STATUS, "OK", "WATCH watched");
  expect_free(other, REDIS_REPLY_STATUS, "OK", "SET watched theirs");
  expect_free(c, REDIS_REPLY_STATUS, "OK", "MULTI");
  expect_free(c, REDIS_REPLY_STATUS, "QUEUED", "SET watched mine");
  expect_free(c, REDIS_REPLY_NIL, NULL, "EXEC");
  expect_free(c, REDIS_REPLY_STRING, "theirs", "GET watched");

  /* EXPIRE / TTL. */
  expect_free(c, REDIS_REPLY_STATUS, "OK", "SET temp v");
  expect_integer(c, 1, "EXPIRE %s 100", "temp");
  r = expect(c, REDIS_REPLY_INTEGER, NULL, "TTL temp");
  if (r->integer <= 0 || r->integer > 100) fail("TTL temp", r);
  freeReplyObject(r);
  expect_integer(c, 0, "EXPIRE %s 10", "missing");

  /* INCR. */
  expect_integer(c, 1, "INCR %s", "counter");
  expect_integer(c, 42, "INCRBY %s 41", "counter");

  /* SCAN over 50 keys. */
  for (int i = 0; i < 50; i++) expect_free(c, REDIS_REPLY_STATUS, "OK", "SET scan:%d x", i);
  int seen[50] = {0}, distinct = 0;
  char cursor[32] = "0";
  do {
    r = expect(c, REDIS_REPLY_ARRAY, NULL, "SCAN %s MATCH scan:* COUNT 10", cursor);
    if (r->elements != 2) fail("SCAN shape", r);
    snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
    for (size_t k = 0; k < r->element[1]->elements; k++) {
      int n = atoi(r->element[1]->element[k]->str + 5);
      if (n >= 0 && n < 50 && !seen[n]) {
        seen[n] = 1;
        distinct++;
      }
    }
    freeReplyObject(r);
  } while (strcmp(cursor, "0") != 0);
  if (distinct != 50) fail("SCAN saw fewer than 50 keys", NULL);

  redisFree(other);
  redisFree(c);
  printf("ok resp=%d\n", protocol);
  return 0;
}
