/* SPDX-License-Identifier: MIT */
/* expires_on in every form managed-identity endpoints have been seen to send.
 * See identity_internal.h for the list and the AM/PM rule. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "identity_internal.h"
#include "msikv/parse.h"

/* 9999-12-31T23:59:59Z, the largest expiry anyone accepts. */
#define MAX_EPOCH_S 253402300799LL

typedef struct civil {
  int64_t year, month, day, hour, minute, second;
  int64_t offset_s; /* Local time minus UTC. */
} civil;

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int64_t m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

static bool civil_to_epoch(const civil *c, int64_t *out_s) {
  if (c->year < 1970 || c->year > 9999 || c->month < 1 || c->month > 12 ||
      c->day < 1 || c->day > days_in_month(c->year, c->month) || c->hour < 0 ||
      c->hour > 23 || c->minute < 0 || c->minute > 59 || c->second < 0 ||
      c->second > 60)
    return false;
  int64_t s =
      ((days_from_civil(c->year, c->month, c->day) * 24 + c->hour) * 60 +
       c->minute) *
          60 +
      c->second - c->offset_s;
  if (s < 0 || s > MAX_EPOCH_S)
    return false;
  *out_s = s;
  return true;
}

/* Reads min..max digits at *p. */
static bool digits(const char **p, size_t min, size_t max, int64_t *out) {
  size_t n = 0;
  while (n < max && isdigit((unsigned char)(*p)[n]))
    n++;
  if (n < min || isdigit((unsigned char)(*p)[n]))
    return false;
  if (msikv_parse_int64(*p, n, 0, INT64_MAX, out) != MSIKV_OK)
    return false;
  *p += n;
  return true;
}

static bool lit(const char **p, char c) {
  if (**p != c)
    return false;
  (*p)++;
  return true;
}

/* "+HH:MM", "-HH:MM", "+HHMM" or "Z"; sets offset_s. */
static bool offset(const char **p, civil *c) {
  if (lit(p, 'Z') || lit(p, 'z')) {
    c->offset_s = 0;
    return true;
  }
  int sign = **p == '+' ? 1 : (**p == '-' ? -1 : 0);
  if (!sign)
    return false;
  (*p)++;
  int64_t hh = 0, mm = 0;
  if (!digits(p, 2, 2, &hh))
    return false;
  lit(p, ':');
  if (!digits(p, 2, 2, &mm) || hh > 23 || mm > 59)
    return false;
  c->offset_s = sign * (hh * 3600 + mm * 60);
  return true;
}

static bool hms(const char **p, size_t hour_min_digits, civil *c) {
  return digits(p, hour_min_digits, 2, &c->hour) && lit(p, ':') &&
         digits(p, 2, 2, &c->minute) && lit(p, ':') &&
         digits(p, 2, 2, &c->second);
}

/* "M/D/YYYY h:mm:ss [AM|PM] +HH:MM" (App Service 2017, Windows and Linux). */
static bool parse_us(const char *p, int64_t *out_s) {
  civil c = {0};
  if (!digits(&p, 1, 2, &c.month) || !lit(&p, '/') ||
      !digits(&p, 1, 2, &c.day) || !lit(&p, '/') ||
      !digits(&p, 4, 4, &c.year) || !lit(&p, ' ') || !hms(&p, 1, &c))
    return false;
  if (p[0] == ' ' &&
      (strncasecmp(p + 1, "AM", 2) == 0 || strncasecmp(p + 1, "PM", 2) == 0)) {
    bool pm = toupper((unsigned char)p[1]) == 'P';
    /* AM/PM applies to hours 1-12 only; 0 and 13-23 are 24-hour values. */
    if (c.hour >= 1 && c.hour <= 12) {
      if (c.hour == 12)
        c.hour = pm ? 12 : 0;
      else if (pm)
        c.hour += 12;
    }
    p += 3;
  }
  if (*p == ' ')
    p++;
  if (!offset(&p, &c) || *p)
    return false;
  return civil_to_epoch(&c, out_s);
}

/* "YYYY-MM-DD HH:MM:SSZ", RFC 3339 with 'T', fractions, offsets. */
static bool parse_iso(const char *p, int64_t *out_s) {
  civil c = {0};
  if (!digits(&p, 4, 4, &c.year) || !lit(&p, '-') ||
      !digits(&p, 2, 2, &c.month) || !lit(&p, '-') || !digits(&p, 2, 2, &c.day))
    return false;
  if (!lit(&p, 'T') && !lit(&p, 't') && !lit(&p, ' '))
    return false;
  if (!hms(&p, 2, &c))
    return false;
  if (lit(&p, '.')) {
    int64_t frac = 0;
    if (!digits(&p, 1, 18, &frac))
      return false;
  }
  if (*p == ' ')
    p++;
  if (!offset(&p, &c) || *p)
    return false;
  return civil_to_epoch(&c, out_s);
}

/* RFC 1123: "Sun, 06 Nov 1994 08:49:37 GMT". */
static bool parse_rfc1123(const char *p, int64_t *out_s) {
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
  civil c = {0};
  const char *comma = strchr(p, ',');
  if (!comma || comma - p != 3)
    return false;
  p = comma + 1;
  if (!lit(&p, ' ') || !digits(&p, 1, 2, &c.day) || !lit(&p, ' '))
    return false;
  for (int i = 0; i < 12; i++) {
    if (strncasecmp(p, months[i], 3) == 0)
      c.month = i + 1;
  }
  if (!c.month)
    return false;
  p += 3;
  if (!lit(&p, ' ') || !digits(&p, 4, 4, &c.year) || !lit(&p, ' ') ||
      !hms(&p, 2, &c) || !lit(&p, ' '))
    return false;
  if (strcasecmp(p, "GMT") != 0 && strcasecmp(p, "UTC") != 0 &&
      strcmp(p, "+0000") != 0)
    return false;
  return civil_to_epoch(&c, out_s);
}

/* Epoch seconds, optionally with a fraction ("1586984735.0"). */
static bool parse_epoch(const char *p, int64_t *out_s) {
  size_t n = strspn(p, "0123456789");
  if (n == 0)
    return false;
  if (p[n] == '.') {
    size_t frac = strspn(p + n + 1, "0123456789");
    if (frac == 0 || p[n + 1 + frac])
      return false;
  } else if (p[n]) {
    return false;
  }
  return msikv_parse_int64(p, n, 0, MAX_EPOCH_S, out_s) == MSIKV_OK;
}

msikv_result msikv__expires_on_parse(const char *text, int64_t *out_s) {
  if (!text || !out_s)
    return MSIKV_ERR_PARSE;
  while (*text == ' ')
    text++;
  char trimmed[64];
  size_t len = strlen(text);
  while (len > 0 && text[len - 1] == ' ')
    len--;
  if (len == 0 || len >= sizeof(trimmed))
    return MSIKV_ERR_PARSE;
  memcpy(trimmed, text, len);
  trimmed[len] = '\0';
  int64_t value = 0;
  if (parse_epoch(trimmed, &value) || parse_us(trimmed, &value) ||
      parse_iso(trimmed, &value) || parse_rfc1123(trimmed, &value)) {
    *out_s = value;
    return MSIKV_OK;
  }
  return MSIKV_ERR_PARSE;
}
